"""End-to-end helpers and the `root` fixture: a tmp copy of the example fleet
against the packaged sandbox seed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.connectwise import ConnectWiseClient, Credentials
from reconciler.runtime import SANDBOX_STATE, Runtime
from reconciler.sandbox import create_app, transport

REPO = Path(__file__).resolve().parents[2]
STATE = SANDBOX_STATE
CREDS = Credentials("sandbox", "sandbox-public", "sandbox-private",
                    "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42")


@pytest.fixture
def root(tmp_path: Path, monkeypatch) -> Path:
    """The example fleet in a tmp folder; `url: sandbox` keeps its state there."""
    for name in ("CW_COMPANY_ID", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    shutil.copy(REPO / "reconciler.yaml", tmp_path / "reconciler.yaml")
    shutil.copytree(REPO / "customers", tmp_path / "customers")
    return tmp_path


def run(root: Path, *args: str, runtime: Callable[..., Runtime] | None = None):
    """`reconciler --root ROOT ARGS...` in process; returns click's Result. `runtime`: a
    factory the commands take their runtime from instead of the real one."""
    obj = {"open_runtime": runtime} if runtime is not None else None
    return CliRunner().invoke(cli, ["--root", str(root), *args], obj=obj,
                              catch_exceptions=False)


def sandbox_app(root: Path, **kwargs):
    """A sandbox app sharing the CLI's state file (it reloads when the file changes)."""
    return create_app(state_path=root / STATE, **kwargs)


def client_for(app, **options) -> ConnectWiseClient:
    """A raw client over `app`, to read the sandbox back or edit it behind the tool."""
    return ConnectWiseClient("http://127.0.0.1", CREDS, transport=transport(app),
                             rate_limit_per_minute=None, **options)


class FailFirstPost(httpx.BaseTransport):
    """Asks the sandbox to fail the first POST with a 500 (POSTs are never retried)."""

    def __init__(self, app):
        self.app = app
        self.inner = transport(app)
        self.failed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and not self.failed:
            self.failed = True
            self.app.faults.fail_next("500")
        return self.inner.handle_request(request)


def additions(root: Path, agreement_id: int) -> dict[int, dict]:
    """The sandbox's additions of an agreement, read with a fresh client."""
    with client_for(sandbox_app(root)) as client:
        return {a["id"]: a for a in client.list(f"/finance/agreements/{agreement_id}/additions")}
