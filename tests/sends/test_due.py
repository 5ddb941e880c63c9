"""What a run must send, from the keys found, over the in-memory gateway (fast; the same
logic against the sandbox is test_run_due.py)."""

from datetime import datetime

from reconciler.config.model import BillingPolicy, Policy, SummaryPolicy
from reconciler.domain.keys import send_key
from reconciler.schedule import Clock
from reconciler.sends.due import find_due
from tests.fakes.gateway import FakeGateway
from tests.schedule.factories import customer

CLOCK = Clock.of("America/New_York", "06:00")
AT = datetime(2026, 11, 25, 12, tzinfo=CLOCK.tz)
DAILY = customer("acme", "ACME", Policy(hosted_email_security=SummaryPolicy("day", ("spam",))))
MONTHLY = customer("zed", "ZED", Policy(billing=BillingPolicy(1, ("wfbss",))))


def statuses(plan) -> dict[str, str]:
    return {s.period.label: s.status for s in plan.sends}


def test_a_first_run_sends_only_the_latest_period():
    fake = FakeGateway()
    plan = find_due(fake, [DAILY], CLOCK, AT, lookback_days=10)
    assert statuses(plan) == {"2026-11-24": "send"}


def test_gaps_after_the_last_period_sent_are_sent_and_sent_ones_are_not():
    fake = FakeGateway()
    fake.add_ticket(1, send_key("hosted_email_security", "ACME", "2026-11-20"))
    fake.add_ticket(2, send_key("hosted_email_security", "ACME", "2026-11-22"))
    plan = find_due(fake, [DAILY], CLOCK, AT, lookback_days=10)
    assert statuses(plan) == {"2026-11-21": "send", "2026-11-23": "send", "2026-11-24": "send"}
    assert [s.gap for s in plan.sends] == [True, True, False]


def test_history_is_read_only_when_the_window_does_not_start_with_a_sent_period():
    fake = FakeGateway()
    fake.add_ticket(1, send_key("hosted_email_security", "ACME", "2026-11-10"))  # before
    plan = find_due(fake, [DAILY], CLOCK, AT, lookback_days=10)
    assert plan.sends[0].status == "missed" and plan.sends[0].period.label == "2026-11-11"
    assert statuses(plan)["2026-11-24"] == "send"
    assert fake.request_count == 2  # the window's keys, then the history of that pair


def test_a_malformed_ticket_fails_its_customer_and_kind_and_nothing_else():
    fake = FakeGateway()
    fake.answer_malformed("tickets", "ticket", owner=send_key("hosted_email_security",
                                                              "acme", "2026-11-23"))
    plan = find_due(fake, [DAILY, MONTHLY], CLOCK, AT, lookback_days=10)
    by_customer = {s.customer.slug: s for s in plan.sends}
    broken = by_customer["acme"]
    assert (broken.status, broken.period.label) == ("failed", "2026-11-24")
    assert "cannot tell what was sent" in broken.detail
    assert by_customer["zed"].status == "send"


def test_a_malformed_ticket_whose_key_is_unreadable_fails_every_send():
    fake = FakeGateway()
    fake.answer_malformed("tickets", "ticket 9", owner=None)
    plan = find_due(fake, [DAILY, MONTHLY], CLOCK, AT, lookback_days=10)
    assert {s.status for s in plan.sends} == {"failed"}
