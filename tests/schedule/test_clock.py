"""Wall times to instants: DST gaps move forward, folds take the first occurrence."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from reconciler.schedule import ScheduleError, local_instant, parse_instant, parse_send_at, zone

NY = zone("America/New_York")


def test_plain_time_has_the_zone_offset():
    winter = local_instant(date(2026, 1, 15), time(6, 0), NY)
    summer = local_instant(date(2026, 7, 15), time(6, 0), NY)
    assert winter.isoformat() == "2026-01-15T06:00:00-05:00"
    assert summer.isoformat() == "2026-07-15T06:00:00-04:00"


def test_time_in_spring_forward_gap_moves_to_end_of_gap():
    # 2026-03-08 02:00 EST jumps to 03:00 EDT; 02:30 does not exist
    instant = local_instant(date(2026, 3, 8), time(2, 30), NY)
    assert instant.astimezone(UTC) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert instant.astimezone(NY).isoformat() == "2026-03-08T03:00:00-04:00"


def test_time_in_fall_back_fold_takes_first_occurrence():
    # 2026-11-01 01:30 happens twice: first in EDT (-04:00)
    instant = local_instant(date(2026, 11, 1), time(1, 30), NY)
    assert instant.utcoffset() == timedelta(hours=-4)
    assert instant.astimezone(UTC).hour == 5


def test_other_zone_gap_of_half_hour():
    # Lord Howe Island moves by 30 minutes: 02:00 -> 02:30 on 2026-10-04
    lhi = zone("Australia/Lord_Howe")
    instant = local_instant(date(2026, 10, 4), time(2, 15), lhi)
    assert instant.astimezone(lhi).strftime("%H:%M") == "02:30"


@pytest.mark.parametrize("bad", ["6:00", "24:00", "06:60", "", "noon"])
def test_send_at_must_be_hh_mm(bad):
    with pytest.raises(ScheduleError, match="HH:MM"):
        parse_send_at(bad)


def test_unknown_zone_is_clear():
    with pytest.raises(ScheduleError, match="unknown time zone"):
        zone("Mars/Olympus")


def test_parse_instant_with_and_without_offset():
    assert parse_instant("2026-12-01T12:00:00-05:00", NY).utcoffset() == timedelta(hours=-5)
    assert parse_instant("2026-12-01T12:00:00Z", NY).utcoffset() == timedelta(0)
    naive = parse_instant("2026-07-01T12:00", NY)
    assert naive.isoformat() == "2026-07-01T12:00:00-04:00"
    with pytest.raises(ScheduleError, match="ISO 8601"):
        parse_instant("tomorrow", NY)
