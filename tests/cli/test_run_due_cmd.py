"""`reconciler run-due` on a copy of the example fleet against the embedded sandbox."""

import json
import shutil

import pytest

from tests.sends.world import cli, example_fleet

AT = "2026-12-01T12:00:00-05:00"


@pytest.fixture
def root(tmp_path):
    return example_fleet(tmp_path)


def test_json_output_and_a_second_run_that_sends_nothing(root):
    first = cli(root, "run-due", "--at", AT, "--customer", "hooli", "--customer", "INITECH",
                "--format", "json")
    assert first.exit_code == 0, first.output
    output = json.loads(first.stdout)
    assert set(output) == {"format_version", "dry_run", "requests", "results"}
    assert output["format_version"] == 1 and output["dry_run"] is False
    assert output["requests"] > 0
    rows = output["results"]
    assert rows and all(set(r) == {"customer", "company", "kind", "period", "key", "outcome",
                                   "detail"} for r in rows)
    by_key = {r["key"]: r for r in rows}
    assert by_key["tmrm:billing:HOOLI:2026-10"]["outcome"] == "sent"  # day 30: Nov 30
    assert by_key["tmrm:hes:HOOLI:2026-11"]["kind"] == "hosted_email_security"
    assert by_key["tmrm:tmems:INITECH:2026-11-30"]["kind"] == "email_security"
    assert {r["customer"] for r in rows} == {"hooli", "initech"}
    second = cli(root, "run-due", "--at", AT, "--customer", "hooli", "--customer", "INITECH",
                 "--format", "json")
    assert second.exit_code == 0
    assert {r["outcome"] for r in json.loads(second.stdout)["results"]} == {"already_sent"}


def test_text_output_and_exit_1_on_a_failed_send(root):
    # ACME's Apex One addition has not been applied yet: its billing fails, the rest goes
    result = cli(root, "run-due", "--at", AT, "--customer", "acme")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("failed       acme billing 2026-10    no live TM-APEXONE")
    assert "run `reconciler apply`" in lines[0]
    assert any(line.startswith("sent         acme hes     2026-W48") for line in lines)
    assert lines[-1].startswith("2 sent, 1 failed (") and "requests to ConnectWise" in lines[-1]


def test_dry_run_sends_nothing(root):
    dry = cli(root, "run-due", "--at", AT, "--customer", "initech", "--dry-run")
    assert dry.exit_code == 0 and dry.stdout.startswith("DRY RUN")
    dry_json = json.loads(cli(root, "run-due", "--at", AT, "--customer", "initech",
                              "--dry-run", "--format", "json").stdout)
    assert dry_json["dry_run"] is True and dry_json["results"]
    real = cli(root, "run-due", "--at", AT, "--customer", "initech", "--format", "json")
    assert {r["outcome"] for r in json.loads(real.stdout)["results"]} == {"sent"}


def test_bad_input_is_one_clear_line(root):
    result = cli(root, "run-due", "--at", "next tuesday")
    assert result.exit_code == 1
    assert "is not an ISO 8601 date-time" in result.output and "Traceback" not in result.output
    result = cli(root, "run-due", "--at", AT, "--customer", "nobody*")
    assert result.exit_code == 1 and "no customer matches --customer 'nobody*'" in result.output


def test_lmpi_usage_source_bills_from_the_sandbox_report(root):
    settings = (root / "reconciler.yaml").read_text()
    settings = settings.replace("  usage:\n    kind: file\n    path: data/usage\n",
                                "  usage:\n    kind: lmpi\n    url: sandbox\n")
    assert "kind: lmpi" in settings
    (root / "reconciler.yaml").write_text(settings)
    shutil.rmtree(root / "data" / "usage")  # only LMPI can answer now
    result = cli(root, "run-due", "--at", AT, "--customer", "initech", "--format", "json")
    assert result.exit_code == 0, result.output
    billing = next(r for r in json.loads(result.stdout)["results"] if r["kind"] == "billing")
    # October's units in the sandbox's LMPI report (the addition held 51)
    assert billing["outcome"] == "sent" and billing["detail"].startswith("tmems 50 (was 51);")


@pytest.mark.parametrize(
    "command", [("run-due",), ("send-now", "billing", "--customer", "initech")]
)
def test_an_empty_at_is_refused_not_read_as_now(root, command):
    # A CI job passing --at "$AT" with AT unset must not turn into a real run at "now".
    result = cli(root, *command, "--at", "")
    assert result.exit_code == 1
    assert "'' is not an ISO 8601 date-time" in result.output
    again = cli(root, "run-due", "--at", AT, "--customer", "initech", "--format", "json")
    rows = json.loads(again.stdout)["results"]
    assert {r["outcome"] for r in rows} == {"sent"}  # nothing was sent before
