"""Who may call the sandbox: Basic auth with `company+public:private`, a clientId GUID,
and an optional read-only key pair standing in for a limited security role."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .responses import unauthorized

_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}\}?$")


@dataclass(frozen=True)
class SandboxCredentials:
    """Who may call the sandbox. The defaults are public sandbox values.

    The read-only key pair answers 403 to every write, like a limited security role.
    """

    company: str = "sandbox"
    public_key: str = "sandbox-public"
    private_key: str = "sandbox-private"
    readonly_public_key: str | None = "sandbox-readonly"
    readonly_private_key: str | None = "sandbox-readonly-private"
    lmpi_token: str = "sandbox-lmpi-token"
    lmpi_secret: str = "sandbox-lmpi-secret"
    tmems_account: str = "sandbox-tmems"
    tmems_api_key: str = "sandbox-tmems-key"

    def __repr__(self) -> str:  # never show keys
        return f"SandboxCredentials(company={self.company!r}, keys=<hidden>)"


def authenticate(headers: Mapping[str, str], creds: SandboxCredentials) -> bool:
    """401 unless Basic auth and clientId are right; True for the read-only key pair.

    Basic `companyId+publicKey:privateKey` and a clientId header on every call: [guide],
    [pyconnectwise]. Unverified: that the user part compares without regard to case, and
    that a clientId that is not a GUID is refused with 401 (the guide issues GUIDs;
    `doctor` warns about one that is not, and reports the site's own answer)."""
    header = headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        raise unauthorized("Authentication is required.")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthorized("Authentication failed.") from None
    user, sep, secret = decoded.partition(":")
    pairs = [(creds.public_key, creds.private_key, False)]
    if creds.readonly_public_key and creds.readonly_private_key:
        pairs.append((creds.readonly_public_key, creds.readonly_private_key, True))
    readonly: bool | None = None
    for public, private, is_readonly in pairs:
        expected_user = f"{creds.company}+{public}"
        user_ok = hmac.compare_digest(user.lower().encode(), expected_user.lower().encode())
        if sep and user_ok and hmac.compare_digest(secret.encode(), private.encode()):
            readonly = is_readonly
    if readonly is None:
        raise unauthorized("Authentication failed.")
    client_id = headers.get("clientid", "")
    if not _GUID.match(client_id.strip()):
        raise unauthorized("A clientId header with a GUID is required.")
    return readonly
