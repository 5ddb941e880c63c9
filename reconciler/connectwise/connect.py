"""A client for a ConnectWise site, its credentials taken from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from reconciler import redact
from reconciler.connectwise.auth import ENV_VARS, Credentials
from reconciler.connectwise.client import ConnectWiseClient


def credentials_from(env: Mapping[str, str], defaults: Mapping[str, str] | None = None
                     ) -> Credentials:
    """Credentials from CW_COMPANY_ID, CW_PUBLIC_KEY, CW_PRIVATE_KEY, CW_CLIENT_ID; with
    `defaults`, each variable that is unset or blank falls back to its default."""
    if defaults is None:
        return Credentials.from_env(env)
    merged = {name: (env.get(name) or "").strip() or defaults[name] for name in ENV_VARS}
    return Credentials.from_env(merged)


def connect(url: str, env: Mapping[str, str] = os.environ, *,
            defaults: Mapping[str, str] | None = None, **options: Any) -> ConnectWiseClient:
    """A client for the site at `url` (`options` go to ConnectWiseClient: rate limit,
    concurrency, page size, a transport, a clock)."""
    credentials = credentials_from(env, defaults)
    # whatever they were read from, they never reach output (reconciler.redact); the
    # sandbox's defaults are public and documented, so only what the environment gave
    redact.register(*(env.get(name) for name in SECRET_VARS))
    if defaults is None:
        redact.register_basic(credentials.company_id, credentials.public_key,
                              credentials.private_key)
    return ConnectWiseClient(url, credentials, **options)


SECRET_VARS = ("CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID")
