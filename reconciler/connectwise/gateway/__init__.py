"""The one seam to ConnectWise: the `Gateway` Protocol and its HTTP implementation."""

from reconciler.connectwise.gateway.http import HttpGateway
from reconciler.connectwise.gateway.protocol import (
    UPDATABLE_ADDITION_FIELDS,
    Batch,
    FailedRead,
    Gateway,
)

__all__ = ["UPDATABLE_ADDITION_FIELDS", "Batch", "FailedRead", "Gateway", "HttpGateway"]
