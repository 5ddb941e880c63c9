"""`reconciler waive` and `send-now billing --period`: the two ways a missed or failed
period is closed, each leaving a record in ConnectWise."""

import json

import pytest

from tests.sends.world import cli, example_fleet

AT = "2026-12-01T12:00:00-05:00"


@pytest.fixture
def root(tmp_path):
    return example_fleet(tmp_path)


def test_a_waiver_is_a_ticket_with_its_reason_and_a_sent_period_is_refused(root):
    dry = cli(root, "waive", "hes", "--customer", "acme", "--period", "2026-W40",
              "--reason", "mail moved", "--dry-run")
    assert dry.exit_code == 0 and dry.stdout.startswith("skipped acme hosted_email_security")
    done = cli(root, "waive", "hes", "--customer", "ACME", "--period", "2026-W40",
               "--reason", "mail moved", "--format", "json")
    assert done.exit_code == 0, done.output
    [row] = json.loads(done.stdout)["results"]
    assert (row["key"], row["outcome"]) == ("tmrm:waived-hes:ACME:2026-W40", "sent")
    assert "mail moved" in row["detail"]
    again = cli(root, "waive", "hes", "--customer", "acme", "--period", "2026-W40",
                "--reason", "twice")
    assert again.exit_code == 0 and again.stdout.startswith("already_sent")
    sent = cli(root, "run-due", "--at", AT, "--customer", "acme", "--format", "json")
    week = next(r["period"] for r in json.loads(sent.stdout)["results"]
                if r["kind"] == "hosted_email_security" and r["outcome"] == "sent")
    refused = cli(root, "waive", "hes", "--customer", "acme", "--period", week,
                  "--reason", "too late")
    assert refused.exit_code == 1 and "nothing to waive" in refused.stdout


@pytest.mark.parametrize(("args", "says"), [
    (["billing", "--period", "2026-W40"], "billing periods are months"),
    (["billing", "--period", "2026-13"], "is not a valid date"),
    (["email_security", "--period", "2026-10", "--customer", "wayne"],
     "wayne has no email_security sends to waive"),
    (["billing", "--period", "2026-10", "--reason", " "], "needs a --reason"),
])
def test_bad_waivers_are_one_clear_line(root, args, says):
    customer = [] if "--customer" in args else ["--customer", "acme"]
    reason = [] if "--reason" in args else ["--reason", "r"]
    result = cli(root, "waive", *args, *customer, *reason)
    assert result.exit_code == 1 and says in result.output, result.output
    assert "Traceback" not in result.output


def test_send_now_bills_a_complete_month_by_hand_under_its_scheduled_key(root):
    assert cli(root, "apply", "--yes").exit_code == 0
    future = cli(root, "send-now", "billing", "--customer", "stark", "--period", "2026-12",
                 "--at", AT)
    assert future.exit_code == 1 and "not a complete month yet" in future.stdout
    bad = cli(root, "send-now", "billing", "--customer", "stark", "--period", "2026-W40",
              "--at", AT)
    assert bad.exit_code == 1 and "is not a month YYYY-MM" in bad.output
    done = cli(root, "send-now", "billing", "--customer", "stark", "--period", "2026-10",
               "--at", AT, "--format", "json")
    assert done.exit_code == 0, done.output
    [row] = json.loads(done.stdout)["results"]
    assert (row["key"], row["outcome"], row["period"]) == (
        "tmrm:billing:STARK:2026-10", "sent", "2026-10")
    run = cli(root, "run-due", "--at", "2026-11-01T12:00", "--customer", "stark",
              "--format", "json")
    billing = next(r for r in json.loads(run.stdout)["results"] if r["kind"] == "billing")
    assert billing["outcome"] == "already_sent"  # the run finds it sent
