"""ConnectWise Manage REST client: auth, codebase discovery, paging, conditions, retries,
rate limit and typed errors. Shares no code with `reconciler.sandbox`."""

from reconciler.connectwise import conditions
from reconciler.connectwise.auth import Credentials, MissingCredentials
from reconciler.connectwise.client import MAX_URL_LENGTH, ConnectWiseClient, replace_ops
from reconciler.connectwise.connect import connect
from reconciler.connectwise.errors import (
    BadRequest,
    Conflict,
    ConnectWiseError,
    FieldError,
    Forbidden,
    NotFound,
    RateLimited,
    ServerError,
    TransportFailed,
    Unauthorized,
    UnsafeConditionValue,
)
from reconciler.connectwise.site import SiteError

__all__ = [
    "MAX_URL_LENGTH",
    "BadRequest",
    "Conflict",
    "ConnectWiseClient",
    "ConnectWiseError",
    "Credentials",
    "FieldError",
    "Forbidden",
    "MissingCredentials",
    "NotFound",
    "RateLimited",
    "ServerError",
    "SiteError",
    "TransportFailed",
    "Unauthorized",
    "UnsafeConditionValue",
    "conditions",
    "connect",
    "replace_ops",
]
