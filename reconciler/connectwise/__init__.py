"""ConnectWise Manage: the REST client (auth, codebase discovery, paging, conditions,
retries, rate limit, typed errors), the typed records, and the Gateway (`gateway/`) that is
the product's only way to ConnectWise and the only place that knows its paths, `fields=`
lists and conditions.

Nothing here imports `reconciler.sandbox`, and the sandbox imports nothing from here
(both use only `reconciler.errors`): the client's conditions, paging and parsing are
checked against an independent reading of the API, not against themselves.
"""

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
    UnusableAnswer,
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
    "UnusableAnswer",
    "conditions",
    "connect",
    "replace_ops",
]
