"""`reconciler doctor` against the sandbox: a ready site, and each thing a first-time user
gets wrong, each failing with what to change and where; read-only unless --write-probe."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from reconciler.sandbox import SandboxCredentials, create_app, serve
from tests.doctor.conftest import run_doctor
from tests.sends import world
from tests.served_fleet import cw_env, make_fleet, run_inprocess

WRITES = {"POST", "PATCH", "PUT", "DELETE"}


def set_yaml(root, old: str, new: str) -> None:
    path = root / "reconciler.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_sound_site_is_ready_and_nothing_is_written(fleet, app):
    done = run_doctor(fleet, app, "--format", "json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["format_version"] == 1 and report["ready"] is True
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert {statuses[n] for n in statuses if n != "trend_micro.email_security"} == {"ok"}
    assert {"connectwise.login", "connectwise.api_version", "clock",
            "connectwise.read.agreement_additions", "connectwise.tickets.closed_status",
            "connectwise.catalog.wfbss", "trend_micro.usage"} <= set(statuses)
    assert not {method for method, _ in app.request_log} & WRITES


def test_wrong_keys_fail_the_login_and_say_which_variables_to_set(fleet, app):
    done = run_doctor(fleet, app, env={"CW_PRIVATE_KEY": "guess-me"})
    assert done.exit_code == 1
    assert "FAIL  connectwise.login" in done.output
    assert "(401 Unauthorized)" in done.output
    assert "fix: CW_PUBLIC_KEY and CW_PRIVATE_KEY: a key pair of the API member" in done.output
    assert "System > Members > API Members" in done.output
    assert "guess-me" not in done.output and "Traceback" not in done.output
    assert "skip  connectwise.reads" in done.output  # nothing more is tried without a login


def test_a_client_id_that_is_not_a_guid_is_named(fleet, app):
    done = run_doctor(fleet, app, "--format", "json", env={"CW_CLIENT_ID": "my-integration"})
    assert done.checks["connectwise.client_id"]["status"] == "warn"
    assert "developer.connectwise.com" in done.checks["connectwise.client_id"]["fix"]
    assert done.checks["connectwise.login"]["status"] == "fail"  # the sandbox refuses it too
    assert "my-integration" not in done.output


def test_an_unknown_company_id_fails_codebase_discovery(fleet, app):
    done = run_doctor(fleet, app, "--format", "json", env={"CW_COMPANY_ID": "nobody"})
    check = done.checks["connectwise.codebase"]
    assert (done.exit_code, check["status"]) == (1, "fail")
    assert "company ID 'nobody' not found" in check["detail"]
    assert "CW_COMPANY_ID" in check["fix"] and "connectwise.url" in check["fix"]


def test_missing_credentials_for_a_real_site_are_named(tmp_path):
    root = make_fleet(tmp_path / "fleet", "https://na.myconnectwise.net")
    done = run_inprocess(root, ["doctor"], {})
    assert done.exit_code == 1
    assert "FAIL  connectwise.credentials" in done.text()
    assert "CW_COMPANY_ID, CW_PUBLIC_KEY, CW_PRIVATE_KEY, CW_CLIENT_ID are not set" in done.text()


def test_an_api_version_the_site_does_not_serve_names_the_setting(fleet, app):
    set_yaml(fleet, "  url: sandbox\n", '  url: sandbox\n  api_version: "2099.1"\n')
    done = run_doctor(fleet, app, "--format", "json")
    check = done.checks["connectwise.api_version"]
    assert (done.exit_code, check["status"]) == (1, "fail")
    assert "does not support the API version '2099.1'" in check["detail"]
    assert check["fix"].startswith("connectwise.api_version in reconciler.yaml")


def test_an_older_site_refusing_the_default_version_says_so(fleet):
    app = create_app(seed=None, api_version="2024.1")
    done = run_doctor(fleet, app, "--format", "json")
    assert done.checks["connectwise.api_version"]["status"] == "fail"
    set_yaml(fleet, "  url: sandbox\n", '  url: sandbox\n  api_version: "2024.1"\n')
    assert run_doctor(fleet, app).exit_code == 0


def test_a_clock_far_off_fails_when_lmpi_signs_requests(tmp_path):
    site_time = datetime.now(UTC).replace(microsecond=0)
    app = create_app(seed=None, clock=lambda: site_time)
    with serve(app) as url:
        root = make_fleet(tmp_path / "fleet", "sandbox", lmpi_url=url)
        late = lambda: site_time + timedelta(minutes=20)  # noqa: E731
        env = {"LMPI_ACCESS_TOKEN": "sandbox-lmpi-token", "LMPI_SECRET_KEY":
               "sandbox-lmpi-secret"}
        done = run_doctor(root, app, "--format", "json", env=env, clock=late)
    check = done.checks["clock"]
    assert (done.exit_code, check["status"]) == (1, "fail")
    assert "1200 s ahead of the site's" in check["detail"] and "NTP" in check["fix"]
    assert "LMPI refuses requests signed more than 15 minutes off" in check["detail"]


def test_a_clock_far_off_is_a_warning_without_lmpi(fleet, app):
    early = lambda: datetime.now(UTC) - timedelta(minutes=20)  # noqa: E731
    done = run_doctor(fleet, app, "--format", "json", clock=early)
    assert done.checks["clock"]["status"] == "warn" and done.exit_code == 0


def test_lmpi_credentials_refused_fail_naming_the_variables(tmp_path):
    app = create_app(seed=None)
    with serve(app) as url:
        root = make_fleet(tmp_path / "fleet", "sandbox", lmpi_url=url)
        done = run_doctor(root, app, "--format", "json", env={
            "LMPI_ACCESS_TOKEN": "wrong", "LMPI_SECRET_KEY": "wrong-secret"})
        good = run_doctor(root, app, "--format", "json", env={
            "LMPI_ACCESS_TOKEN": "sandbox-lmpi-token", "LMPI_SECRET_KEY": "sandbox-lmpi-secret"})
    check = done.checks["trend_micro.usage"]
    assert (done.exit_code, check["status"]) == (1, "fail")
    assert "LMPI_ACCESS_TOKEN and LMPI_SECRET_KEY" in check["fix"]
    assert "wrong-secret" not in done.output
    assert good.checks["trend_micro.usage"]["status"] == "ok"


def test_a_read_the_role_refuses_names_the_security_module(fleet, app):
    app.faults.forbid("GET", r"^procurement/catalog")
    done = run_doctor(fleet, app, "--format", "json")
    check = done.checks["connectwise.read.catalog_items"]
    assert (done.exit_code, check["status"]) == (1, "fail")
    assert "(403" in check["detail"]
    assert check["fix"] == ("System > Security Roles > (the API member's role) > Procurement > "
                            "Product Catalog: Inquire Level All")


def test_configured_names_that_do_not_exist_are_each_named_with_the_key_to_change(fleet, app):
    set_yaml(fleet, "board: Trend Micro Billing", "board: Trend Micro Bililng")
    set_yaml(fleet, "catalog_item: TM-CAS", "catalog_item: TM-CASS")
    done = run_doctor(fleet, app, "--format", "json")
    board = done.checks["connectwise.tickets.board"]
    assert board["status"] == "fail" and "Trend Micro Billing" in board["detail"]  # the names
    assert board["fix"].startswith("tickets.board in reconciler.yaml")
    cas = done.checks["connectwise.catalog.cas"]
    assert cas["status"] == "fail" and "TM-CASS does not exist" in cas["detail"]
    assert cas["fix"].startswith("products.cas.catalog_item in reconciler.yaml")
    assert done.exit_code == 1


def test_an_agreement_type_a_customer_file_names_must_exist(fleet, app):
    path = fleet / "customers" / "acme.yaml"
    path.write_text(path.read_text().replace("type: Managed Service", "type: Managed Servcie"))
    done = run_doctor(fleet, app, "--format", "json")
    check = done.checks["connectwise.agreement_types"]
    assert check["status"] == "fail" and "Managed Servcie" in check["detail"]
    assert "agreements.<product>.type" in check["fix"]


def test_the_write_probe_creates_two_tickets_and_settles_both_without_delete(fleet, app):
    done = run_doctor(fleet, app, "--write-probe", "--probe-company", "SANDBOXMSP")
    assert done.exit_code == 0, done.output
    assert "ok    connectwise.probe.settle" in done.output
    posts = [uri for method, uri in app.request_log if method == "POST"]
    patches = [uri for method, uri in app.request_log if method == "PATCH"]
    assert len(posts) == 2 and len(patches) == 3  # two created; one marked; both closed
    assert not any(method in ("DELETE", "PUT") for method, _ in app.request_log)
    probes = [t for t in world.tickets(app) if str(t["externalXRef"]).startswith("tmrm:probe:")]
    first, second = sorted(probes, key=lambda t: t["id"])
    assert world.settled_loser(second) and second["summary"].startswith(
        f"[duplicate of #{first['id']}]")
    assert first["closedFlag"] is True and not world.settled_loser(first)


def test_a_write_probe_the_role_refuses_says_which_permission(fleet, app):
    app.faults.forbid("PATCH", r"^service/tickets/\d+$")
    done = run_doctor(fleet, app, "--format", "json", "--write-probe", "--probe-company",
                      "SANDBOXMSP")
    check = done.checks["connectwise.probe.settle"]
    assert (done.exit_code, check["status"]) == (1, "fail")
    assert "Service Desk > Service Tickets: Edit Level All" in check["fix"]
    assert "Service Desk > Close Service Tickets: Edit Level All" in check["fix"]


def test_the_probe_needs_a_company_named_explicitly(fleet, app):
    done = run_doctor(fleet, app, "--write-probe")
    assert done.exit_code == 2 and "--write-probe needs --probe-company" in done.output
    assert not app.request_log


def test_doctor_over_real_http_against_a_served_site(tmp_path):
    app = create_app(seed=None, credentials=SandboxCredentials())
    with serve(app) as url:
        root = make_fleet(tmp_path / "fleet", url)
        good = run_inprocess(root, ["doctor"], cw_env("sandbox-private"))
        bad = run_inprocess(root, ["doctor", "--format", "json"], cw_env("nope"))
    assert good.exit_code == 0, good.text()
    assert "ok    connectwise.site" in good.text() and url in good.text()
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["ready"] is False


def test_email_security_credentials_are_checked_when_counts_are_collected(tmp_path):
    """With `sources.detections.email_security`, one log read proves the account, key and
    service root; a refused key fails naming the variables, never showing the key."""
    app = create_app(seed=None)
    with serve(app) as url:
        root = make_fleet(tmp_path / "fleet", "sandbox", tmems_url=url)
        refused = run_doctor(root, app, "--format", "json", env={
            "TMEMS_ACCOUNT": "sandbox-tmems", "TMEMS_API_KEY": "wrong-tmems-key"})
        good = run_doctor(root, app, "--format", "json", env={
            "TMEMS_ACCOUNT": "sandbox-tmems", "TMEMS_API_KEY": "sandbox-tmems-key"})
        missing = run_doctor(root, app, "--format", "json")
    check = refused.checks["trend_micro.email_security"]
    assert (refused.exit_code, check["status"]) == (1, "fail")
    assert "refused the credentials (401" in check["detail"]
    assert "TMEMS_ACCOUNT and TMEMS_API_KEY" in check["fix"] and "Log Retrieval" in check["fix"]
    assert "wrong-tmems-key" not in refused.output
    assert missing.checks["trend_micro.email_security"]["status"] == "fail"
    assert "needs TMEMS_ACCOUNT and TMEMS_API_KEY" in missing.checks[
        "trend_micro.email_security"]["detail"]
    assert (good.exit_code, good.checks["trend_micro.email_security"]["status"]) == (0, "ok")
    assert any(uri.startswith("/api/v1/log/policyeventlog?") for _, uri in app.request_log)


def test_the_in_process_email_security_sandbox_is_checked_too(tmp_path, app):
    root = make_fleet(tmp_path / "fleet", "sandbox", tmems_url="sandbox")
    done = run_doctor(root, app, "--format", "json")
    check = done.checks["trend_micro.email_security"]
    assert (done.exit_code, check["status"]) == (0, "ok"), done.output
    assert "(sandbox) accepted the credentials" in check["detail"]
