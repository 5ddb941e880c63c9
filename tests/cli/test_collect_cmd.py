"""`reconciler collect detections` on a copy of the example fleet: against the in-process
simulator, and over real HTTP on 127.0.0.1 with credentials from the environment; then
`run-due` sends Email Security summaries from what was collected, and fails days that
were not (naming them, and saying which are lost)."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from reconciler.cli import cli as main
from reconciler.runtime import open_runtime
from reconciler.sandbox import create_app, serve
from reconciler.sources.tmems_events import DEFAULT_EVENTS, matches
from tests.sends.world import cli, example_fleet

AT = "2026-11-25T06:07:00-05:00"  # 11:07Z
DAY = datetime(2026, 11, 24, 5, tzinfo=UTC)  # Nov 24 in New York, in UTC


def collecting(root, url="sandbox"):
    settings = (root / "reconciler.yaml").read_text()
    old = "  detections:\n    kind: file\n    path: data/detections\n"
    assert old in settings
    (root / "reconciler.yaml").write_text(settings.replace(
        old, old + f"    email_security:\n      url: {url}\n"))
    return root


@pytest.fixture
def root(tmp_path):
    return collecting(example_fleet(tmp_path))


def test_not_configured_is_one_clear_line(tmp_path):
    result = cli(example_fleet(tmp_path), "collect", "detections")
    assert result.exit_code == 1
    assert result.output.startswith("error: Email Security counts are not collected: add "
                                    "sources.detections.email_security")


def test_text_and_json_output(root):
    result = cli(root, "collect", "detections", "--at", AT)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("collected 2026-11-22T11:30Z..2026-11-25T10:30Z: ")
    assert any(line.startswith("logs of domains no customer lists (kept, counted for "
                               "nobody): unmanaged.example ") for line in lines)
    assert lines[-1].startswith("complete until 2026-11-25T10:30Z (")
    later = cli(root, "collect", "detections", "--at", "2026-11-25T07:07:00-05:00",
                "--format", "json")
    assert later.exit_code == 0, later.output
    data = json.loads(later.output)
    assert data["format_version"] == 1 and data["ok"] is True and data["lost"] == []
    assert [(w["start"], w["end"]) for w in data["collected"]] == [
        ("2026-11-25T08:30Z", "2026-11-25T09:00Z"), ("2026-11-25T09:00Z", "2026-11-25T10:00Z"),
        ("2026-11-25T10:00Z", "2026-11-25T11:00Z"), ("2026-11-25T11:00Z", "2026-11-25T11:30Z")]
    assert data["complete_until"] == "2026-11-25T11:30Z"
    assert set(data) == {"format_version", "at", "ok", "collected", "lost", "failed",
                         "complete_until", "requests", "unknown_domains", "uncounted",
                         "untimed"}


def expected_total(detections: list[str], domains: set[str], start, end) -> int:
    """The summary's total straight from the simulator's logs."""
    app = create_app(clock=lambda: end + timedelta(hours=6))
    total = 0
    for log in app.tmems.between(start, end - timedelta(milliseconds=1)):
        category = (log["_event"], log["eventType"], log["eventSubtype"])
        if log["domainName"] in domains:
            total += sum(matches(DEFAULT_EVENTS[name], category) for name in detections)
    return total


def test_run_due_sends_the_summary_of_a_collected_day(root):
    assert cli(root, "collect", "detections", "--at", AT).exit_code == 0
    result = cli(root, "run-due", "--at", "2026-11-25T06:30:00-05:00", "--customer", "initech",
                 "--format", "json")
    rows = {r["kind"]: r for r in json.loads(result.output)["results"]}
    summary = rows["email_security"]
    assert (summary["period"], summary["outcome"]) == ("2026-11-24", "sent"), summary
    total = expected_total(["spam", "phishing", "malware", "bec"], {"initech.example"},
                           DAY, DAY + timedelta(days=1))
    assert summary["detail"].startswith(f"4 detections, {total} in total; ticket #")
    assert total > 0


def test_a_day_not_collected_fails_and_a_lost_day_says_so(root):
    assert cli(root, "collect", "detections", "--at", AT).exit_code == 0
    late = cli(root, "collect", "detections", "--at", "2026-11-29T06:07:00-05:00")
    assert late.exit_code == 1  # hours fell out of the window: reported, once
    assert "lost      2026-11-25T10:30Z..2026-11-26T11:30Z: older than Trend Micro Email " \
           "Security's 72-hour log window" in late.output
    again = cli(root, "collect", "detections", "--at", "2026-11-29T07:07:00-05:00")
    assert again.exit_code == 0 and "lost" not in again.output
    result = cli(root, "run-due", "--at", "2026-11-27T06:30:00-05:00", "--customer", "initech",
                 "--format", "json")
    summary = next(r for r in json.loads(result.output)["results"]
                   if r["kind"] == "email_security")
    assert result.exit_code == 1 and summary["outcome"] == "failed"
    assert summary["detail"].startswith(
        "Email Security detections not completely collected for 2026-11-26 (lost for good: "
        "2026-11-26 fell out of Trend Micro Email Security's 72-hour log window before they "
        "were collected); `reconciler collect detections` collects them (hourly)")
    # initech's first summary: recorded as owed, so later runs keep reporting it
    assert summary["detail"].endswith("; recorded as owed on ticket #5004")


def invoke(root, *args, **runtime_options):
    """The CLI with the runtime a test hands in (`open_runtime` with these options)."""
    factory = functools.partial(open_runtime, **runtime_options)
    return CliRunner().invoke(main, ["--root", str(root), *args],
                              obj={"open_runtime": factory})


def test_real_url_with_credentials_from_the_environment_never_shown(tmp_path):
    now = datetime(2026, 11, 25, 11, 7, tzinfo=UTC)
    app = create_app(clock=lambda: now)
    key = "tmems-key-Q9w8e7r6"
    with serve(app) as url:
        root = collecting(example_fleet(tmp_path), url)

        def run(*args, **env):
            return invoke(root, "collect", "detections", "--at", "2026-11-25T11:07:00Z", *args,
                          env=env)
        missing = run()
        assert missing.exit_code == 1 and "needs TMEMS_ACCOUNT and TMEMS_API_KEY" in missing.output
        refused = run(TMEMS_ACCOUNT="sandbox-tmems", TMEMS_API_KEY=key)
        assert refused.exit_code == 1 and key not in refused.output
        assert "refused the credentials (401 AuthenticationMissingOrInvalid); check " \
               "TMEMS_ACCOUNT and TMEMS_API_KEY" in refused.output
        ok = run("--format", "json", TMEMS_ACCOUNT="sandbox-tmems",
                 TMEMS_API_KEY="sandbox-tmems-key")
        assert ok.exit_code == 0, ok.output
        assert json.loads(ok.output)["complete_until"] == "2026-11-25T10:30Z"
        assert "sandbox-tmems-key" not in ok.output
        assert any(uri.startswith("/api/v1/log/policyeventlog?") for _, uri in app.request_log)


def test_without_at_the_runtimes_clock_is_the_instant_and_the_sandboxs_too(root):
    """One in-process sandbox on the runtime's clock: its 72-hour window ends at that
    instant, so what is complete follows the clock a test hands in."""
    for hour, until in ((11, "2026-11-25T10:30Z"), (12, "2026-11-25T11:30Z")):
        at = datetime(2026, 11, 25, hour, 7, tzinfo=UTC)
        result = invoke(root, "collect", "detections", "--format", "json",
                        clock=lambda at=at: at)
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert (data["at"], data["complete_until"]) == (f"2026-11-25T{hour}:07:00Z", until)


def test_plain_http_to_another_host_is_refused(tmp_path):
    root = collecting(example_fleet(tmp_path), "http://tmems.example.com")
    result = cli(root, "validate")
    assert result.exit_code == 1 and "use https://" in result.output


def test_a_damaged_collected_file_and_a_held_lock_are_clear_errors(root):
    assert cli(root, "collect", "detections", "--at", AT).exit_code == 0
    folder = root / "data" / "collected" / "email_security"
    from reconciler.sources.collected import CollectedStore

    with CollectedStore(folder).lock():
        held = cli(root, "collect", "detections", "--at", AT)
    assert held.exit_code == 1 and "another `collect detections` holds" in held.output
    (folder / "2026-11-24.json").write_text("[]")
    broken = cli(root, "collect", "detections", "--at", AT)
    assert broken.exit_code == 1
    assert broken.output.startswith("error: data/collected/email_security/2026-11-24.json: "
                                    "not a collected-counts file")
    assert "Traceback" not in broken.output


def test_an_empty_at_is_refused_not_read_as_now(root):
    result = cli(root, "collect", "detections", "--at", "")
    assert result.exit_code == 1 and "Traceback" not in result.output
