"""Periods: billing day clamping, ISO weeks (53 included), labels and stepping."""

from datetime import date

import pytest

from reconciler.schedule import Period, ScheduleError, clamp_day, last_day


@pytest.mark.parametrize(
    ("year", "month", "day", "expected"),
    [
        (2026, 1, 31, date(2026, 1, 31)),
        (2026, 4, 31, date(2026, 4, 30)),
        (2026, 2, 29, date(2026, 2, 28)),  # not a leap year
        (2028, 2, 29, date(2028, 2, 29)),  # leap year
        (2028, 2, 31, date(2028, 2, 29)),
        (2100, 2, 29, date(2100, 2, 28)),  # century, not leap
        (2000, 2, 30, date(2000, 2, 29)),  # 400-year leap
        (2026, 12, 31, date(2026, 12, 31)),
        (2026, 11, 15, date(2026, 11, 15)),
    ],
)
def test_clamp_day_falls_back_to_month_end(year, month, day, expected):
    assert clamp_day(year, month, day) == expected


@pytest.mark.parametrize("day", [0, 32])
def test_clamp_day_refuses_out_of_range(day):
    with pytest.raises(ScheduleError, match="between 1 and 31"):
        clamp_day(2026, 1, day)


def test_last_day_of_february():
    assert [last_day(y, 2) for y in (2024, 2025, 2026, 2028)] == [29, 28, 28, 29]


def test_iso_week_53_and_year_boundaries():
    # 2026 has 53 ISO weeks: Mon 2026-12-28 .. Sun 2027-01-03 is 2026-W53
    week = Period.containing("week", date(2027, 1, 2))
    assert (week.label, week.start, week.end) == ("2026-W53", date(2026, 12, 28), date(2027, 1, 3))
    assert week.next().label == "2027-W01"
    assert week.prev().label == "2026-W52"
    # 2024-12-30 belongs to 2025-W01
    assert Period.containing("week", date(2024, 12, 30)).label == "2025-W01"


def test_labels_round_trip():
    for label in ("2026-11-24", "2026-W47", "2026-11", "2026-W53", "2028-02-29"):
        assert Period.parse(label).label == label


@pytest.mark.parametrize("label", ["2026-13", "2026-W54", "2025-W53", "2026-02-30", "nope"])
def test_bad_labels_are_clear_errors(label):
    with pytest.raises(ScheduleError):
        Period.parse(label)


def test_month_and_day_stepping_across_year_end():
    dec = Period.parse("2026-12")
    assert dec.next().label == "2027-01" and dec.next().prev() == dec
    assert Period.parse("2026-12-31").next().label == "2027-01-01"
    assert Period.parse("2028-02").end == date(2028, 2, 29)
