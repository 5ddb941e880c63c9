"""`reconciler send-now billing --customer ID`."""

import json

import pytest

from tests.sends.world import cli, example_fleet

AT = "2026-11-25T13:07:00-05:00"


@pytest.fixture
def root(tmp_path):
    return example_fleet(tmp_path)


def test_sends_with_the_minute_key_when_nothing_is_unapplied(root):
    result = cli(root, "send-now", "billing", "--customer", "INITECH", "--at", AT,
                 "--format", "json")
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert (output["format_version"], output["dry_run"]) == (1, False)
    [row] = output["results"]
    assert row["key"] == "tmrm:billing-now:INITECH:2026-11-25T18:07Z"
    assert row["outcome"] == "sent" and row["period"] == "2026-10"  # the latest complete month
    again = cli(root, "send-now", "billing", "--customer", "initech", "--at", AT)
    assert again.exit_code == 0 and again.stdout.startswith("already_sent initech billing")


def test_refused_while_the_customer_has_unapplied_changes(root):
    result = cli(root, "send-now", "billing", "--customer", "acme", "--at", AT)
    assert result.exit_code == 1
    assert "send-now refused: acme has unapplied changes" in result.output
    assert "create apex-one addition" in result.output


def test_unknown_and_disabled_customers_are_refused(root):
    result = cli(root, "send-now", "billing", "--customer", "nobody")
    assert result.exit_code == 1 and "no customer 'nobody'" in result.output
    result = cli(root, "send-now", "billing", "--customer", "soylent")
    assert result.exit_code == 1 and "integration disabled" in result.output
