"""One bad customer file never stops the others: run-due, schedule, verify, send-now."""

import json

import pytest

from tests.sends.world import cli, example_fleet

AT = "2026-12-01T12:00:00-05:00"
ERROR = "customers/acme.yaml:17:10: custom.billing.day is 32; the maximum is 31"


@pytest.fixture
def root(tmp_path):
    root = example_fleet(tmp_path)
    acme = root / "customers" / "acme.yaml"
    text = acme.read_text()
    assert text.count("    day: 31\n") == 1
    acme.write_text(text.replace("    day: 31\n", "    day: 32\n"))
    return root


def test_run_due_sends_the_others_and_one_failed_config_row_for_the_broken_file(root):
    result = cli(root, "run-due", "--at", AT, "--format", "json")

    assert result.exit_code == 1, result.output
    rows = json.loads(result.stdout)["results"]
    acme = [r for r in rows if r["customer"] == "acme"]
    assert acme == [{
        "customer": "acme", "company": "ACME", "kind": "config", "period": "", "key": "",
        "outcome": "failed", "detail": ERROR + "; nothing was sent for this customer",
    }]
    # every other enabled customer sends (some billings fail on unapplied plan changes)
    sent = {r["customer"] for r in rows if r["outcome"] == "sent"}
    assert sent == {"globex", "hooli", "initech", "stark", "umbrella", "vandelay", "wayne"}
    assert not any("ACME" in r["key"] for r in rows)


def test_run_due_text_names_the_file_and_a_bad_files_approval_is_no_typo(root):
    result = cli(root, "run-due", "--at", AT, "--customer", "acme", "--customer", "initech",
                 "--approve-quantities", "acme")

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"failed       acme    config             {ERROR}")
    assert any(line.startswith("sent         initech billing") for line in lines)
    assert "Traceback" not in result.output


def test_schedule_lists_the_others_and_names_the_broken_file_on_stderr(root):
    result = cli(root, "schedule", "--from", "2026-12-01", "--to", "2026-12-01",
                 "--format", "json")

    assert result.exit_code == 1
    rows = json.loads(result.stdout)["sends"]
    assert rows and "acme" not in {r["customer"] for r in rows}
    assert f"error: {ERROR} (nothing is scheduled for acme)" in result.stderr


def test_verify_fails_the_broken_file_and_verifies_the_others(root):
    result = cli(root, "verify")

    assert result.exit_code == 1
    assert f"FAIL acme (ACME): not verified, the file has errors: {ERROR}" in result.stdout
    assert "ok   globex (GLOBEX)" in result.stdout
    assert "7 of 8 customers verified" in result.stdout


def test_send_now_refuses_the_broken_customer_and_serves_the_others(root):
    refused = cli(root, "send-now", "billing", "--customer", "ACME")
    assert refused.exit_code == 1
    assert f"customers/acme.yaml has errors, nothing is sent for it: {ERROR}" in (
        refused.output)

    other = cli(root, "send-now", "billing", "--customer", "initech", "--dry-run",
                "--at", AT)
    assert other.exit_code == 0, other.output
    assert other.stdout.startswith("skipped initech billing 2026-11")  # the month before


def test_a_broken_reconciler_yaml_still_stops_every_command(root):
    settings = root / "reconciler.yaml"
    settings.write_text(settings.read_text().replace("timezone: ", "timezone: Mars/", 1))

    for args in (["run-due", "--at", AT], ["schedule"], ["verify"],
                 ["send-now", "billing", "--customer", "initech"]):
        result = cli(root, *args)
        assert result.exit_code == 1, args
        assert result.stdout == "", args
        assert "reconciler.yaml:" in result.stderr and "Mars/" in result.stderr
        assert "Traceback" not in result.output


def test_plan_changed_since_reports_the_broken_file_not_a_removed_customer(root):
    from tests.cli.plan_cli_support import git

    acme = root / "customers" / "acme.yaml"
    broken = acme.read_text()
    acme.write_text(broken.replace("    day: 32\n", "    day: 31\n"))
    git(root, "init", "-q")
    git(root, "add", "reconciler.yaml", "customers")
    git(root, "commit", "-qm", "fleet")
    acme.write_text(broken)

    result = cli(root, "plan", "--format", "json", "--changed-since", "HEAD")

    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [(c["slug"], c["status"]) for c in data["customers"]] == [("acme", "error")]
    assert [e["message"] for e in data["errors"]] == [ERROR]
    assert data["changes"] == [] and data["policy_review"]["customers"] == []
    assert data["policy_review"]["skipped"] == ["acme"]
