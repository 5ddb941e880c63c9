"""The composition root: which ConnectWise and sources a configuration gets, that they are
opened on first use and closed at the end, and that only the sandbox branch loads the
simulator."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.connectwise import BadRequest, SiteError, Unauthorized
from reconciler.connectwise.records import NewTicket
from reconciler.runtime import SANDBOX_STATE, open_runtime
from reconciler.sources import LmpiUsageSource
from tests.processes import QUICK_TIMEOUT
from tests.served_fleet import make_fleet

SITE_ENV = {"CW_COMPANY_ID": "acme", "CW_PUBLIC_KEY": "PUBKEY123",
            "CW_PRIVATE_KEY": "s3cr3t-PRIVATE",
            "CW_CLIENT_ID": "0b8f6c7e-1111-2222-3333-444455556666"}


def sandbox_fleet(tmp_path: Path, **kwargs) -> Path:
    return make_fleet(tmp_path / "fleet", "sandbox", **kwargs)


def test_the_sandbox_runs_in_process_with_its_state_under_the_root(tmp_path):
    root = sandbox_fleet(tmp_path)
    with open_runtime(root, env={}) as rt:
        board = next(b for b in rt.gateway.boards() if b.name == "Trend Micro Billing")
        status = rt.gateway.board_statuses(board.id)[0]
        rt.gateway.create_ticket(NewTicket("tmrm:runtime:ACME:1", "persisted", "ACME", "d",
                                           board.id, status.id, rt.gateway.priorities()[0].id))
    assert (root / SANDBOX_STATE).is_file()
    with open_runtime(root, env={}) as again:  # a later run sees the same state
        assert len(again.gateway.tickets(keys=["tmrm:runtime:ACME:1"]).records) == 1


def test_the_sandbox_refuses_overridden_credentials_it_does_not_know(tmp_path):
    with open_runtime(sandbox_fleet(tmp_path), env={"CW_PRIVATE_KEY": "wrong"}) as rt, \
            pytest.raises(Unauthorized):
        rt.gateway.boards()


def test_the_sandbox_state_folder_must_be_usable(tmp_path):
    root = sandbox_fleet(tmp_path)
    (root / ".reconciler").write_text("in the way\n")
    with open_runtime(root, env={}) as rt, pytest.raises(SiteError, match="cannot keep"):
        rt.gateway.boards()


def test_a_site_gets_the_configured_limits_and_the_environments_credentials(tmp_path):
    root = make_fleet(tmp_path / "fleet", "https://na.myconnectwise.net")
    with open_runtime(root, env=SITE_ENV) as rt:
        client = rt.gateway.client
        settings = rt.fleet.settings.connectwise
        assert client.site_url == "https://na.myconnectwise.net"
        assert client.limiter.per_minute == settings.rate_limit_per_minute
        assert (client.concurrency, client.page_size) == (settings.concurrency,
                                                          settings.page_size)
        assert "s3cr3t" not in repr(rt.gateway)
        assert client.api_version == "2025.1"  # the default, with no api_version set


def test_the_configured_api_version_is_asked_for_in_every_request(tmp_path):
    root = make_fleet(tmp_path / "fleet", "sandbox")
    settings = root / "reconciler.yaml"
    settings.write_text(settings.read_text().replace(
        "  url: sandbox\n", '  url: sandbox\n  api_version: "2024.2"\n'))
    with open_runtime(root, env={}) as rt:
        assert rt.fleet.settings.connectwise.api_version == "2024.2"
        assert rt.gateway.client.api_version == "2024.2"
        assert rt.gateway.companies(["ACME"]).records  # the sandbox serves 2024.2


def test_a_version_the_site_does_not_serve_is_an_error_naming_the_setting(tmp_path):
    root = make_fleet(tmp_path / "fleet", "sandbox")
    settings = root / "reconciler.yaml"
    settings.write_text(settings.read_text().replace(
        "  url: sandbox\n", '  url: sandbox\n  api_version: "2099.1"\n'))
    with open_runtime(root, env={}) as rt, pytest.raises(BadRequest) as info:
        rt.gateway.companies(["ACME"])
    assert "does not support the API version '2099.1'" in str(info.value)
    assert "set connectwise.api_version in reconciler.yaml" in str(info.value)


def test_nothing_is_opened_until_used_and_everything_is_closed(tmp_path):
    root = sandbox_fleet(tmp_path, lmpi_url="sandbox", tmems_url="sandbox")
    with open_runtime(root, env={}) as rt:
        assert not (root / ".reconciler").exists()  # no gateway asked for yet
        usage = rt.usage
        assert isinstance(usage, LmpiUsageSource)
        assert usage.usage(2026, 11).lines  # the sandbox's LMPI report, in process
        client = rt.gateway.client
        email_security = rt.email_security
        assert rt.email_security is email_security  # opened once
    assert usage.client.is_closed and client._http.is_closed and email_security.is_closed


def test_one_sandbox_app_answers_connectwise_lmpi_and_email_security(tmp_path, monkeypatch):
    import reconciler.sandbox as sandbox

    apps = []

    def recording_create_app(**kwargs):
        apps.append(sandbox_create_app(**kwargs))
        return apps[-1]
    sandbox_create_app = sandbox.create_app
    monkeypatch.setattr(sandbox, "create_app", recording_create_app)
    root = sandbox_fleet(tmp_path, lmpi_url="sandbox", tmems_url="sandbox")
    with open_runtime(root, env={}) as rt:
        now = rt.now()
        rt.email_security.policy_events("spam", now - timedelta(hours=1), now)
        rt.usage.usage(2026, 11)
        rt.gateway.boards()
    [app] = apps
    paths = {uri.split("?")[0] for _, uri in app.request_log}
    assert {"/api/v1/log/policyeventlog", "/LMPI/v3/reports/summary"} <= paths
    assert any(path.endswith("/service/boards") for path in paths)


def test_the_clock_is_the_runtimes_and_the_sandboxs(tmp_path):
    """The in-process sandbox runs on the runtime's clock: LMPI's signatures (timed by it)
    pass the simulator's 15-minute skew check however far the clock is from real time, and
    `run_at` moves both (what `collect detections --at` does)."""
    at = datetime(2026, 11, 25, 12, tzinfo=UTC)
    root = sandbox_fleet(tmp_path, lmpi_url="sandbox", tmems_url="sandbox")
    with open_runtime(root, env={}, clock=lambda: at) as rt:
        assert rt.now() == at
        assert rt.usage.usage(2026, 10).lines
        later = at + timedelta(days=400)
        rt.run_at(later)
        assert rt.now() == later
        # the simulator's 72-hour window now ends at `later`: logs of the hour before it
        # are there, and a window of the old clock's is out of reach
        assert rt.email_security.policy_events("spam", later - timedelta(hours=2), later)
        assert not rt.email_security.policy_events("spam", at - timedelta(hours=2), at)


def test_only_the_sandbox_branch_loads_the_simulator(tmp_path):
    site = make_fleet(tmp_path / "site", "https://na.myconnectwise.net")
    sandbox = sandbox_fleet(tmp_path)
    probe = ("import sys; from reconciler.runtime import open_runtime\n"
             "rt = open_runtime(sys.argv[1], env={k: 'x' for k in ('CW_COMPANY_ID', "
             "'CW_PUBLIC_KEY', 'CW_PRIVATE_KEY', 'CW_CLIENT_ID')})\n"
             "rt.gateway, rt.usage, rt.detections\n"
             "print('reconciler.sandbox' in sys.modules)")
    loaded = {}
    for name, root in (("site", site), ("sandbox", sandbox)):
        done = subprocess.run([sys.executable, "-c", probe, str(root)], capture_output=True,
                              text=True, timeout=QUICK_TIMEOUT, check=True)
        loaded[name] = done.stdout.strip()
    assert loaded == {"site": "False", "sandbox": "True"}


def test_a_simulated_instant_moves_the_sandbox_and_its_lmpi_signer_only(tmp_path):
    """`simulate_at` (run-due --at in the sandbox): tickets are entered at that instant and
    LMPI's signatures follow the simulator's clock, while the runtime keeps real time."""
    real = datetime(2026, 11, 25, 12, tzinfo=UTC)
    simulated = real + timedelta(days=400)
    root = sandbox_fleet(tmp_path, lmpi_url="sandbox")
    with open_runtime(root, env={}, clock=lambda: real) as rt:
        rt.simulate_at(simulated)
        assert rt.now() == real
        assert rt.usage.usage(2026, 10).lines  # signed at the simulated instant: accepted
        board = next(b for b in rt.gateway.boards() if b.name == "Trend Micro Billing")
        status = rt.gateway.board_statuses(board.id)[0]
        priority = rt.gateway.priorities()[0]
        ticket = rt.gateway.create_ticket(NewTicket(
            "tmrm:probe:ACME:1", "probe", "ACME", "probe", board.id, status.id, priority.id))
        assert ticket.entered_at == simulated
