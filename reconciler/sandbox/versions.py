"""API model versions: which the sandbox serves, and how it refuses the others.

Facts (ConnectWise developer guide, "PSA Versioning", mirrored at gitea.resolutionflow.com
/chihlasm/resolutionflow docs/connectwise/best-practices/PSA-Versioning.md): since 2019.1
the API version is the PSA release (2019.1, 2019.2, ...); a client pins one with
`Accept: application/vnd.connectwise.com+json; version=2019.1`; any release version is
accepted, including ones with no model change; without a version the latest models are
served. The version must be in the first media type of Accept (covenanttechnologysolutions
/connectwise-rest pull request #19); a later one is ignored. Responses carry
`api-current-version` (reference/connectwise-api.md, headers seen).

A version the server does not support is answered
`{"code": "ConnectWiseApi", "message": "The HTTP resource that matches the request URI
'<url>' does not support the API version '<v>'."}` (the body quoted in
covenanttechnologysolutions/connectwise-rest issue #35). Unverified: the HTTP status of
that answer (400 here, ASP.NET API versioning's usual one) and whether a version newer
than the server's own is refused (here) or served as the latest; the client works either
way and `doctor` detects both.
"""

from __future__ import annotations

import re

from .responses import ApiError, error_body

FIRST_VERSION = (2019, 1)
_VERSION = re.compile(r"^(\d{4})\.(\d{1,2})$")
_PARAM = re.compile(r"""\bversion\s*=\s*"?([^";,\s]*)"?""", re.IGNORECASE)


def requested(accept: str) -> str | None:
    """The version the Accept header asks for (first media type only), or None."""
    first = (accept or "").split(",", 1)[0]
    if "vnd.connectwise.com" not in first.lower():
        return None
    match = _PARAM.search(first)
    return match.group(1) if match else None


def supported(version: str, current: str) -> bool:
    """Whether a server at release `current` serves models of `version`."""
    asked, now = _VERSION.match(version), _VERSION.match(current)
    if asked is None or now is None:
        return False
    as_tuple = (int(asked.group(1)), int(asked.group(2)))
    return FIRST_VERSION <= as_tuple <= (int(now.group(1)), int(now.group(2)))


def check(accept: str, current: str, url: str) -> None:
    """Refuse, as ConnectWise does, a request for a version this server does not serve."""
    version = requested(accept)
    if version is not None and not supported(version, current):
        raise ApiError(400, error_body(
            "ConnectWiseApi", f"The HTTP resource that matches the request URI '{url}' does "
            f"not support the API version '{version}'."))
