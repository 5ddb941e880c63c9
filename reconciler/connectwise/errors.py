"""Typed errors for ConnectWise answers and transport failures.

Each error carries what ConnectWise said (status, code, message, errors[]) plus the
method and path of the request, and prints as one sentence. Paths never carry a query
string and no error ever holds a header, so credentials cannot leak through a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.errors import ReconcilerError


@dataclass(frozen=True)
class FieldError:
    """One entry of ConnectWise's `errors[]` array."""

    code: str = ""
    message: str = ""
    resource: str = ""
    field: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ConnectWiseError(ReconcilerError):
    """ConnectWise answered with an error status (or could not be reached)."""

    verb = "refused"  # how the one-sentence message describes the failure

    def __init__(
        self,
        status: int | None,
        code: str = "",
        message: str = "",
        errors: Sequence[FieldError] = (),
        method: str = "",
        path: str = "",
        *,
        attempts: int = 1,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.errors = tuple(errors)
        self.method = method
        self.path = path
        self.attempts = attempts
        super().__init__(self._sentence())

    def _sentence(self) -> str:
        what = f"{self.method} {self.path}".strip() or "a request"
        tag = " ".join(str(p) for p in (self.status, self.code) if p)
        text = f"ConnectWise {self.verb} {what}"
        if tag:
            text += f" ({tag})"
        details = [self.message] if self.message else []
        details += [str(e) for e in self.errors if str(e)]
        if details:
            text += ": " + "; ".join(details)
        if self.attempts > 1:
            text += f" [after {self.attempts} attempts]"
        return text


class BadRequest(ConnectWiseError):
    """400: invalid object, bad conditions, ..."""


class Unauthorized(ConnectWiseError):
    """401: wrong company ID, public/private key or clientId."""


class Forbidden(ConnectWiseError):
    """403: the API member's security role does not allow this."""


class NotFound(ConnectWiseError):
    """404: no such record (on cloud sites also a wrong codebase)."""


class Conflict(ConnectWiseError):
    """409: the record is in use or conflicts with another."""


class RateLimited(ConnectWiseError):
    """429 that persisted past every retry."""

    verb = "throttled"


class ServerError(ConnectWiseError):
    """5xx from ConnectWise."""

    verb = "failed on"


class TransportFailed(ConnectWiseError):
    """The connection failed or dropped (no HTTP status)."""

    verb = "could not complete"


class UnusableAnswer(ConnectWiseError):
    """A 2xx answer that cannot be what ConnectWise means: paging in circles, a list too
    large to hold, a next-page link to another host."""

    verb = "gave an unusable answer to"


class UnsafeConditionValue(ReconcilerError, ValueError):
    """A value the conditions builder cannot quote safely (or an invalid field name)."""


_BY_STATUS: Mapping[int, type[ConnectWiseError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}


def error_class(status: int) -> type[ConnectWiseError]:
    """The error class for an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ConnectWiseError)


# What ConnectWise answers for an API version it does not serve is unverified: a 400
# naming "the API version" (the body quoted in covenanttechnologysolutions/connectwise-rest
# issue #35) or a plain 406 Not Acceptable; either gets this hint.
VERSION_HINT = (" (the site does not serve the API version asked for: set "
                "connectwise.api_version in reconciler.yaml to one it does; `reconciler "
                "doctor` checks it)")


def _text(value: Any) -> str:
    return value.strip()[:500] if isinstance(value, str) else ""


def from_response(
    response: httpx.Response,
    method: str,
    path: str,
    *,
    attempts: int = 1,
    scrub: Callable[[str], str] = lambda text: text,
) -> ConnectWiseError:
    """Build the typed error for an error response, parsing ConnectWise's error body.

    Bodies may not be JSON (throttling sits in a CDN in front of the API), so anything
    unparseable falls back to the HTTP reason phrase rather than echoing raw HTML.
    `scrub` removes secrets from every text taken from the body (a server could echo them).
    """
    code = message = ""
    errors: list[FieldError] = []
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        body = None
    if isinstance(body, dict):
        code = scrub(_text(body.get("code")) or _text(body.get("error")))
        message = scrub(_text(body.get("message")))
        for item in body.get("errors") or ():
            if isinstance(item, dict):
                errors.append(
                    FieldError(
                        code=scrub(_text(item.get("code"))),
                        message=scrub(_text(item.get("message"))),
                        resource=scrub(_text(item.get("resource"))),
                        field=scrub(_text(item.get("field"))),
                    )
                )
    if not message:
        message = response.reason_phrase or ""
    if response.status_code == 406 or "api version" in message.lower():
        message += VERSION_HINT
    cls = error_class(response.status_code)
    return cls(response.status_code, code, message, errors, method, path, attempts=attempts)
