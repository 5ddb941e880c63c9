"""reconciler.review.moves: the upcoming sends a policy change moves."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from review_factories import customer, settings

from reconciler.config.model import BillingPolicy, Policy, SummaryPolicy
from reconciler.review.moves import format_instant, sends_moved

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 25, 12, 0, tzinfo=NY)  # a Wednesday


def pair(**overrides):
    return customer(**overrides), settings()


def test_billing_day_moves_the_next_invoice():
    base = pair(policy=Policy(billing=BillingPolicy(5, ("wfbss",))))
    head = pair(policy=Policy(billing=BillingPolicy(31, ("wfbss",))))
    assert sends_moved(base, head, AT) == (
        "next billing moves from 2026-12-05 06:00 -05:00 (for 2026-12) "
        "to 2026-11-30 06:00 -05:00 (for 2026-11)",
    )


def test_products_only_move_nothing():
    base = pair(policy=Policy(billing=BillingPolicy(5, ("wfbss",))))
    head = pair(policy=Policy(billing=BillingPolicy(5, ("wfbss", "hes"))))
    assert sends_moved(base, head, AT) == ()


def test_frequency_week_to_day():
    base = pair(policy=Policy(hosted_email_security=SummaryPolicy("week", ("spam",))))
    head = pair(policy=Policy(hosted_email_security=SummaryPolicy("day", ("spam",))))
    assert sends_moved(base, head, AT) == (
        "next hosted email security summary moves from 2026-11-30 06:00 -05:00 (for 2026-W48) "
        "to 2026-11-26 06:00 -05:00 (for 2026-11-25)",
    )


def test_disabling_stops_and_adding_starts_sends():
    on = pair(policy=Policy(billing=BillingPolicy(5, ("wfbss",))))
    off = pair(enabled=False, policy=Policy(billing=BillingPolicy(5, ("wfbss",))))
    assert sends_moved(on, off, AT) == (
        "next billing on 2026-12-05 06:00 -05:00 (for 2026-12) no longer happens",
    )
    assert sends_moved(None, on, AT) == (
        "next billing: 2026-12-05 06:00 -05:00 (for 2026-12) (new)",
    )


def test_send_time_in_another_zone():
    base = pair()
    head = customer(), settings(timezone="Europe/Paris", send_at="07:30")
    (moved,) = sends_moved(base, head, AT)
    assert moved.endswith("to 2026-12-05 07:30 +01:00 (for 2026-12)")


def test_format_instant_keeps_the_local_offset():
    assert format_instant(datetime(2026, 7, 1, 6, 0, tzinfo=NY)) == "2026-07-01 06:00 -04:00"
