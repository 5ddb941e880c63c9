"""Build the client the configuration asks for: the embedded sandbox or a real site."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.config.model import ConnectWiseSettings
from reconciler.connectwise.auth import ENV_VARS, Credentials
from reconciler.connectwise.client import ConnectWiseClient
from reconciler.connectwise.site import SiteError

SANDBOX = "sandbox"
SANDBOX_SITE = "http://127.0.0.1"  # nominal: requests go to the in-process transport
SANDBOX_STATE = Path(".reconciler") / "sandbox-state.json"
# The sandbox's default API member; any CW_* variable that is set overrides its part.
SANDBOX_CREDENTIALS = {
    "CW_COMPANY_ID": "sandbox",
    "CW_PUBLIC_KEY": "sandbox-public",
    "CW_PRIVATE_KEY": "sandbox-private",
    "CW_CLIENT_ID": "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42",
}


def sandbox_credentials(env: Mapping[str, str]) -> Credentials:
    """The sandbox's default credentials, each overridden by its CW_* variable if set."""
    merged = {name: (env.get(name) or "").strip() or SANDBOX_CREDENTIALS[name] for name in ENV_VARS}
    return Credentials.from_env(merged)


def connect(
    settings: ConnectWiseSettings,
    root: Path,
    env: Mapping[str, str] = os.environ,
    **options: Any,
) -> ConnectWiseClient:
    """A client for `settings.url`: `sandbox` runs the simulator in process with its state
    in `<root>/.reconciler/sandbox-state.json`; anything else is a site whose credentials
    come from CW_COMPANY_ID, CW_PUBLIC_KEY, CW_PRIVATE_KEY, CW_CLIENT_ID.
    `options` go to ConnectWiseClient (e.g. sleep/clock in tests)."""
    common: dict[str, Any] = {
        "rate_limit_per_minute": settings.rate_limit_per_minute,
        "concurrency": settings.concurrency,
        "page_size": settings.page_size,
    }
    common.update(options)
    if settings.url.strip().lower() == SANDBOX:
        # The only import of the simulator from this package: its public factory.
        from reconciler.sandbox import create_app, transport

        state = Path(root) / SANDBOX_STATE
        try:
            state.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # e.g. .reconciler is a file
            raise SiteError(f"cannot keep the sandbox state in {state.parent}: "
                            f"{exc.strerror or type(exc).__name__}") from None
        app = create_app(state_path=state, seed=None)
        common.setdefault("transport", transport(app))
        return ConnectWiseClient(SANDBOX_SITE, sandbox_credentials(env), **common)
    return ConnectWiseClient(settings.url, Credentials.from_env(env), **common)
