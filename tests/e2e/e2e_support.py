"""End-to-end helpers and the `root` fixture: a tmp copy of the example fleet
against the packaged sandbox seed."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.config import load_fleet
from reconciler.connectwise import connect
from reconciler.sandbox import create_app, transport

REPO = Path(__file__).resolve().parents[2]
STATE = Path(".reconciler") / "sandbox-state.json"


@pytest.fixture
def root(tmp_path: Path, monkeypatch) -> Path:
    """The example fleet in a tmp folder; `url: sandbox` keeps its state there."""
    for name in ("CW_COMPANY_ID", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    shutil.copy(REPO / "reconciler.yaml", tmp_path / "reconciler.yaml")
    shutil.copytree(REPO / "customers", tmp_path / "customers")
    return tmp_path


def run(root: Path, *args: str):
    """`reconciler --root ROOT ARGS...` in process; returns click's Result."""
    return CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)


def sandbox_app(root: Path, **kwargs):
    """A sandbox app sharing the CLI's state file (it reloads when the file changes)."""
    return create_app(state_path=root / STATE, **kwargs)


def client_for(root: Path, app, **options):
    """A real client over `app` (tests pass max_retries/concurrency for determinism)."""
    return connect(load_fleet(root).settings.connectwise, root, transport=transport(app),
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
    with client_for(root, sandbox_app(root)) as client:
        return {a["id"]: a for a in client.list(f"/finance/agreements/{agreement_id}/additions")}
