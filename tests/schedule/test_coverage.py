"""Catch-up by coverage: changing a frequency sends only what no send covers; a new
customer starts with the latest period; a back-dated run starts nothing; owed periods
stay due (in the window) or missed (before it)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from reconciler.schedule import Cadence, Clock, Period, ScheduleError
from reconciler.schedule.coverage import Coverage, decide, first_sends

CLOCK = Clock.of("America/New_York", "06:00")
LOOKBACK = timedelta(days=62)
DAILY = Cadence("hosted_email_security", "day")
WEEKLY = Cadence("hosted_email_security", "week")
MONTHLY = Cadence("hosted_email_security", "month")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=CLOCK.tz)


def weeks(first: str, last: str) -> list[Period]:
    period, out = Period.parse(first), []
    while period.start <= Period.parse(last).start:
        out.append(period)
        period = period.next()
    return out


def labels(steps, status="send"):
    return [s.period.label for s in steps if s.status == status]


def test_spans_parse_label_and_refuse_to_step():
    span = Period.span(date(2026, 11, 25), date(2026, 11, 29))
    assert span.label == "2026-11-25/2026-11-29" and Period.parse(span.label) == span
    assert span.days() == 5
    assert Period.span(date(2026, 11, 30), date(2026, 11, 30)) == Period.parse("2026-11-30")
    with pytest.raises(ScheduleError, match="no next or previous"):
        span.next()
    with pytest.raises(ScheduleError, match="does not end after it starts"):
        Period.parse("2026-11-29/2026-11-25")


def test_coverage_merges_and_finds_the_uncovered_parts():
    cover = Coverage([Period.parse("2026-W47"), Period.parse("2026-11-23"),
                      Period.parse("2026-11-26")])
    assert cover.covers(date(2026, 11, 16)) and cover.covers(date(2026, 11, 23))
    assert not cover.covers(date(2026, 11, 24))
    assert [p.label for p in cover.periods()] == ["2026-11-16/2026-11-23", "2026-11-26"]
    assert [p.label for p in cover.uncovered(Period.parse("2026-W48"))] == [
        "2026-11-24/2026-11-25", "2026-11-27/2026-11-29"]
    assert cover.uncovered(Period.parse("2026-W49")) == [Period.parse("2026-W49")]
    assert cover.uncovered(Period.parse("2026-W47")) == []


def test_weekly_to_daily_sends_only_the_days_no_weekly_covered():
    """README's example: weekly summaries through W47 (Nov 16-22), then daily."""
    sent = Coverage(weeks("2026-W30", "2026-W47"))
    steps = decide(DAILY, CLOCK, at(2026, 11, 26, 6, 30), LOOKBACK, sent)
    assert labels(steps) == ["2026-11-23", "2026-11-24", "2026-11-25"]
    assert [s.gap for s in steps if s.status == "send"] == [True, True, False]
    assert labels(steps, "missed") == []  # the weeklies covered every day before


def test_daily_to_weekly_sends_the_uncovered_rest_of_the_week_as_one_span():
    dailies = [Period.parse(f"2026-11-{d:02d}") for d in range(1, 25)]
    steps = decide(WEEKLY, CLOCK, at(2026, 11, 30, 6, 30), LOOKBACK, Coverage(dailies))
    assert labels(steps) == ["2026-11-25/2026-11-29"]


def test_weekly_to_monthly_sends_the_one_day_no_week_covered():
    steps = decide(MONTHLY, CLOCK, at(2026, 12, 1, 6, 30), LOOKBACK,
                   Coverage(weeks("2026-W30", "2026-W48")))  # through Sunday Nov 29
    assert labels(steps) == ["2026-11-30"]


def test_a_new_customer_gets_only_the_latest_period():
    steps = decide(DAILY, CLOCK, at(2026, 11, 26, 6, 30), LOOKBACK, Coverage())
    assert labels(steps) == ["2026-11-25"] and not steps[0].gap


def test_nothing_new_when_all_is_covered():
    steps = decide(WEEKLY, CLOCK, at(2026, 11, 30, 6, 30), LOOKBACK,
                   Coverage(weeks("2026-W30", "2026-W48")))
    assert [(s.period.label, s.status) for s in steps] == [("2026-W48", "covered")]


def test_a_back_dated_run_before_the_first_send_starts_nothing():
    later = Coverage(weeks("2026-W47", "2026-W48"))  # the customer started in November
    steps = decide(WEEKLY, CLOCK, at(2026, 10, 1, 12), LOOKBACK, later)
    assert labels(steps) == [] and [s.status for s in steps] == ["before_start"]


def test_periods_older_than_the_lookback_that_were_owed_are_missed_every_run():
    sent = Coverage([Period.parse(f"2026-08-{d:02d}") for d in range(1, 32)])
    for hour in (12, 13, 14):  # reported again by every run, not once
        steps = decide(DAILY, CLOCK, at(2026, 11, 25, hour), LOOKBACK, sent,
                       horizon=at(2026, 7, 1))
        missed = labels(steps, "missed")
        assert missed[0] == "2026-09-01" and missed[-1] == "2026-09-23"
        assert labels(steps)[0] == "2026-09-24" and labels(steps)[-1] == "2026-11-24"


def test_an_owed_first_period_is_caught_up_then_missed():
    """A new customer whose first month failed: the marker keeps it owed."""
    billing = Cadence("billing", "month", 15)
    owed = [Period.parse("2026-09")]  # its first billing (due Oct 15) failed
    steps = decide(billing, CLOCK, at(2026, 11, 16, 12), LOOKBACK, Coverage(), owed=owed)
    assert labels(steps) == ["2026-09", "2026-10"]  # caught up, then the latest
    later = decide(billing, CLOCK, at(2027, 1, 16, 12), LOOKBACK,
                   Coverage([Period.parse("2026-10"), Period.parse("2026-11")]), owed=owed)
    assert labels(later, "missed") == ["2026-09"] and labels(later) == ["2026-12"]
    waived = decide(billing, CLOCK, at(2027, 1, 16, 12), LOOKBACK,
                    Coverage([Period.parse(m) for m in ("2026-09", "2026-10", "2026-11")]),
                    owed=owed)
    assert labels(waived, "missed") == []  # a waiver covers it like a send


def test_first_sends_previews_what_the_next_runs_send():
    sent = Coverage(weeks("2026-W30", "2026-W47"))
    when, periods = first_sends(DAILY, CLOCK, at(2026, 11, 25, 12), LOOKBACK, sent,
                                at(2027, 1, 31))
    # due now: the two days the weekly W48 would have covered so far
    assert when == at(2026, 11, 25, 12)
    assert [p.label for p in periods] == ["2026-11-23", "2026-11-24"]
    when, periods = first_sends(WEEKLY, CLOCK, at(2026, 11, 25, 12), LOOKBACK, sent,
                                at(2027, 1, 31))
    assert (when, [p.label for p in periods]) == (at(2026, 11, 30, 6), ["2026-W48"])
