"""ConnectWise credentials and the headers every API call carries.

Keys are kept out of every repr/str; `scrub` removes them from any text that might have
picked them up (e.g. a transport exception message) before it reaches a user.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.config.model import DEFAULT_API_VERSION
from reconciler.errors import ReconcilerError

ENV_VARS = ("CW_COMPANY_ID", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID")
__all__ = ["DEFAULT_API_VERSION", "ENV_VARS", "Credentials", "MissingCredentials", "api_headers"]


class MissingCredentials(ReconcilerError):
    """A CW_* environment variable is missing or empty."""


@dataclass(frozen=True)
class Credentials:
    """An API member's keys: `companyId+publicKey:privateKey` plus the integrator's clientId."""

    company_id: str
    public_key: str = field(repr=False)
    private_key: str = field(repr=False)
    client_id: str

    def __repr__(self) -> str:
        return (
            f"Credentials(company_id={self.company_id!r}, public_key='***', "
            f"private_key='***', client_id={self.client_id!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Credentials:
        """Read the CW_* variables; errors name missing variables, never values."""
        missing = [name for name in ENV_VARS if not (env.get(name) or "").strip()]
        if missing:
            raise MissingCredentials(
                f"ConnectWise credentials come from the environment: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set "
                f"(needed: {', '.join(ENV_VARS)})"
            )
        # They travel in HTTP headers, which carry ASCII only; name the variable, not its value.
        unusable = [name for name in ENV_VARS if not env[name].strip().isascii()]
        if unusable:
            raise MissingCredentials(
                f"{', '.join(unusable)} must contain only ASCII characters (check for "
                "pasted quotes or look-alike letters)"
            )
        company, public, private, client = (env[name].strip() for name in ENV_VARS)
        return cls(company, public, private, client)

    def authorization(self) -> str:
        """The Basic auth header value."""
        raw = f"{self.company_id}+{self.public_key}:{self.private_key}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def secrets(self) -> tuple[str, ...]:
        """Strings that must never be shown (non-empty ones only)."""
        token = self.authorization().split(" ", 1)[1]
        return tuple(s for s in (self.private_key, self.public_key, token) if s)

    def scrub(self, text: str) -> str:
        """`text` with every secret replaced by ***."""
        for secret in sorted(self.secrets(), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def api_headers(credentials: Credentials, api_version: str | None) -> dict[str, str]:
    """Headers for an API call: Basic auth, clientId and the versioned Accept."""
    accept = (
        f"application/vnd.connectwise.com+json; version={api_version}"
        if api_version
        else "application/json"
    )
    return {
        "Authorization": credentials.authorization(),
        "clientId": credentials.client_id,
        "Accept": accept,
    }
