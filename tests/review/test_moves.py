"""reconciler.review.moves: the upcoming sends a policy change moves."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from reconciler.config.model import BillingPolicy, Policy, SummaryPolicy
from reconciler.review.moves import format_instant, sends_moved
from tests.review.review_factories import customer, settings

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 25, 12, 0, tzinfo=NY)  # a Wednesday


def pair(**overrides):
    return customer(**overrides), settings()


def test_billing_day_moves_the_next_invoice():
    base = pair(policy=Policy(billing=BillingPolicy(5, ("wfbss",))))
    head = pair(policy=Policy(billing=BillingPolicy(31, ("wfbss",))))
    # October went out on November 5th; under day 31 its billing day (November 30th)
    # would find it billed, so the next invoice is November's, on December 31st
    assert sends_moved(base, head, AT) == (
        "next billing moves from 2026-12-05 06:00 -05:00 (for 2026-11) "
        "to 2026-12-31 06:00 -05:00 (for 2026-11)",
    )


def test_billing_day_moved_before_today_bills_the_pending_month_at_the_next_run():
    base = pair(policy=Policy(billing=BillingPolicy(31, ("wfbss",))))
    head = pair(policy=Policy(billing=BillingPolicy(5, ("wfbss",))))
    # October's billing was due November 30th; under day 5 it was due November 5th
    assert sends_moved(base, head, AT) == (
        "next billing moves from 2026-11-30 06:00 -05:00 (for 2026-10) "
        "to the next run (for 2026-10)",
    )


def test_products_only_move_nothing():
    base = pair(policy=Policy(billing=BillingPolicy(5, ("wfbss",))))
    head = pair(policy=Policy(billing=BillingPolicy(5, ("wfbss", "hes"))))
    assert sends_moved(base, head, AT) == ()


def test_frequency_week_to_day():
    base = pair(policy=Policy(hosted_email_security=SummaryPolicy("week", ("spam",))))
    head = pair(policy=Policy(hosted_email_security=SummaryPolicy("day", ("spam",))))
    # catch-up by coverage: the weekly summaries covered up to Sunday Nov 22, so the next
    # run sends Nov 23 and 24 (due already), never a day twice
    assert sends_moved(base, head, AT) == (
        "next hosted email security summary moves from 2026-11-30 06:00 -05:00 (for 2026-W48) "
        "to the next run (for 2026-11-23, 2026-11-24)",
    )


def test_frequency_day_to_month_sends_only_what_no_daily_summary_covered():
    base = pair(policy=Policy(hosted_email_security=SummaryPolicy("day", ("spam",))))
    head = pair(policy=Policy(hosted_email_security=SummaryPolicy("month", ("spam",))))
    assert sends_moved(base, head, AT) == (
        "next hosted email security summary moves from 2026-11-26 06:00 -05:00 (for "
        "2026-11-25) to 2026-12-01 06:00 -05:00 (for 2026-11-25/2026-11-30)",
    )


def test_disabling_stops_and_adding_starts_sends():
    on = pair(policy=Policy(billing=BillingPolicy(5, ("wfbss",))))
    off = pair(enabled=False, policy=Policy(billing=BillingPolicy(5, ("wfbss",))))
    assert sends_moved(on, off, AT) == (
        "next billing on 2026-12-05 06:00 -05:00 (for 2026-11) no longer happens",
    )
    # a customer's first run sends the latest period due: October's, due November 5th
    assert sends_moved(None, on, AT) == (
        "next billing: the next run (for 2026-10) (new)",
    )


def test_send_time_in_another_zone():
    base = pair()
    head = customer(), settings(timezone="Europe/Paris", send_at="07:30")
    (moved,) = sends_moved(base, head, AT)
    assert moved.endswith("to 2026-12-05 07:30 +01:00 (for 2026-11)")


def test_format_instant_keeps_the_local_offset():
    assert format_instant(datetime(2026, 7, 1, 6, 0, tzinfo=NY)) == "2026-07-01 06:00 -04:00"
