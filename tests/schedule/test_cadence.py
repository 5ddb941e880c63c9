"""Due computation with fixed clocks: month ends, leap years, DST, year end, week 53."""

from datetime import datetime, timedelta

import pytest

from reconciler.config.model import BillingPolicy, Policy, SummaryPolicy
from reconciler.schedule import Cadence, Clock, cadences, upcoming
from tests.schedule.factories import customer

CLOCK = Clock.of("America/New_York", "06:00")
NY = CLOCK.tz


def at(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


def billing(day: int) -> Cadence:
    return Cadence("billing", "month", day)


@pytest.mark.parametrize(
    ("day", "when", "expected"),
    [
        # billing on day X of month M bills M-1, the last complete month (contract 2)
        (31, at(2026, 11, 30, 6, 0), "2026-10"),  # clamped to Nov 30, exactly at send_at
        (31, at(2026, 11, 30, 5, 59), "2026-09"),  # a minute early: still September's
        (31, at(2026, 2, 28, 7), "2026-01"),  # Feb 28 in a common year
        (31, at(2028, 2, 28, 7), "2027-12"),  # leap year: due Feb 29
        (31, at(2028, 2, 29, 7), "2028-01"),
        (29, at(2027, 2, 28, 6), "2027-01"),
        (1, at(2027, 1, 1, 6), "2026-12"),  # year end
        (1, at(2026, 12, 31, 23, 59), "2026-11"),
        (15, at(2026, 11, 14, 12), "2026-09"),
        (15, at(2026, 11, 15, 6), "2026-10"),
    ],
)
def test_latest_billing_due(day, when, expected):
    assert billing(day).latest_due(when, CLOCK).label == expected


def test_billing_due_instant_is_day_x_at_send_at_with_offset():
    cadence = billing(31)
    from reconciler.schedule import Period

    # the month billed is the one before the billing day's month
    for label, iso in [("2026-01", "2026-02-28T06:00:00-05:00"),
                       ("2028-01", "2028-02-29T06:00:00-05:00"),
                       ("2026-03", "2026-04-30T06:00:00-04:00"),
                       ("2026-12", "2027-01-31T06:00:00-05:00")]:
        assert cadence.due(Period.parse(label), CLOCK).isoformat() == iso


def test_daily_summary_covers_previous_day():
    cadence = Cadence("hosted_email_security", "day")
    assert cadence.latest_due(at(2026, 11, 25, 6, 0), CLOCK).label == "2026-11-24"
    assert cadence.latest_due(at(2026, 11, 25, 5, 0), CLOCK).label == "2026-11-23"
    assert cadence.latest_due(at(2027, 1, 1, 6), CLOCK).label == "2026-12-31"


def test_weekly_summary_monday_previous_iso_week_including_week_53():
    cadence = Cadence("email_security", "week")
    # Monday 2026-11-23 covers 2026-W47 (Nov 16-22)
    assert cadence.latest_due(at(2026, 11, 23, 6), CLOCK).label == "2026-W47"
    assert cadence.latest_due(at(2026, 11, 23, 5), CLOCK).label == "2026-W46"
    # Monday 2027-01-04 covers 2026-W53 (Dec 28 - Jan 3)
    assert cadence.latest_due(at(2027, 1, 4, 6), CLOCK).label == "2026-W53"
    assert cadence.latest_due(at(2027, 1, 11, 6), CLOCK).label == "2027-W01"


def test_monthly_summary_day_one_previous_month():
    cadence = Cadence("email_security", "month")
    assert cadence.latest_due(at(2026, 12, 1, 6), CLOCK).label == "2026-11"
    assert cadence.latest_due(at(2027, 1, 1, 6), CLOCK).label == "2026-12"
    assert cadence.latest_due(at(2026, 12, 1, 5), CLOCK).label == "2026-10"


def test_dst_days_have_one_send_each():
    cadence = Cadence("hosted_email_security", "day")
    clock = Clock.of("America/New_York", "02:30")  # inside the spring-forward gap
    start, end = at(2026, 3, 6), at(2026, 3, 11)
    periods = cadence.due_between(start, end, clock)
    assert [p.label for p in periods] == ["2026-03-05", "2026-03-06", "2026-03-07",
                                          "2026-03-08", "2026-03-09"]
    # Mar 8 has no 02:30: the Mar 7 summary goes at 03:00 EDT, right after the gap
    due = cadence.due(periods[2], clock)
    assert due.isoformat() == "2026-03-08T03:00:00-04:00"
    fold_clock = Clock.of("America/New_York", "01:30")  # happens twice on Nov 1
    nov1 = cadence.due_between(at(2026, 10, 31, 12), at(2026, 11, 1, 23), fold_clock)
    assert len(nov1) == 1
    assert cadence.due(nov1[0], fold_clock).isoformat() == "2026-11-01T01:30:00-04:00"


def test_due_between_bounds_are_after_exclusive_until_inclusive():
    cadence = Cadence("hosted_email_security", "day")
    due = at(2026, 11, 25, 6)
    assert [p.label for p in cadence.due_between(due - timedelta(hours=1), due, CLOCK)] == [
        "2026-11-24"]
    assert cadence.due_between(due, due + timedelta(hours=1), CLOCK) == []


def test_a_year_of_daily_sends_has_365_periods():
    cadence = Cadence("hosted_email_security", "day")
    periods = cadence.due_between(at(2026, 1, 1, 12), at(2027, 1, 1, 12), CLOCK)
    assert len(periods) == 365
    assert len({p.label for p in periods}) == 365


def test_cadences_follow_the_policy():
    policy = Policy(billing=BillingPolicy(31, ("wfbss",)),
                    email_security=SummaryPolicy("week", ("spam",), "standard"))
    assert [(c.kind, c.frequency, c.billing_day) for c in cadences(policy)] == [
        ("billing", "month", 31), ("email_security", "week", None)]
    assert cadences(Policy()) == []


def test_upcoming_lists_enabled_customers_in_due_order():
    acme = customer("acme", "ACME", Policy(
        billing=BillingPolicy(31, ("wfbss",)),
        hosted_email_security=SummaryPolicy("week", ("spam",))))
    off = customer("off", "OFF", Policy(billing=BillingPolicy(1, ("wfbss",))), enabled=False)
    sends = upcoming([off, acme], at(2026, 11, 23), at(2026, 12, 8), CLOCK)
    assert [(s.customer.slug, s.kind, s.period.label, s.due.isoformat()) for s in sends] == [
        ("acme", "hosted_email_security", "2026-W47", "2026-11-23T06:00:00-05:00"),
        ("acme", "billing", "2026-10", "2026-11-30T06:00:00-05:00"),
        ("acme", "hosted_email_security", "2026-W48", "2026-11-30T06:00:00-05:00"),
        ("acme", "hosted_email_security", "2026-W49", "2026-12-07T06:00:00-05:00"),
    ]


def test_latest_due_requires_an_aware_instant():
    from reconciler.schedule import ScheduleError

    with pytest.raises(ScheduleError, match="UTC offset"):
        billing(1).latest_due(datetime(2026, 11, 1, 12), CLOCK)
