"""plan and apply over real HTTP on 127.0.0.1, against a served sandbox."""

from __future__ import annotations

from reconciler.sandbox import create_app, serve
from tests.e2e.e2e_support import run


def test_plan_apply_plan_over_loopback_http(root, monkeypatch):
    app = create_app(state_path=root / "served-state.json")
    monkeypatch.setenv("CW_COMPANY_ID", "sandbox")
    monkeypatch.setenv("CW_PUBLIC_KEY", "sandbox-public")
    monkeypatch.setenv("CW_PRIVATE_KEY", "sandbox-private")
    monkeypatch.setenv("CW_CLIENT_ID", "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42")
    with serve(app) as url:
        settings = root / "reconciler.yaml"
        settings.write_text(settings.read_text().replace("url: sandbox", f"url: {url}"))
        first = run(root, "plan", "--detailed-exitcode")
        assert first.exit_code == 2, first.output
        assert "Plan: 5 to create, 1 to update, 2 to cancel." in first.output
        assert run(root, "apply", "--yes").exit_code == 0
        assert run(root, "plan", "--detailed-exitcode").exit_code == 0
    assert not (root / ".reconciler").exists()  # the served sandbox, not the embedded one
    assert "sandbox-private" not in first.output
