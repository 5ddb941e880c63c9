"""Wall-clock times in the configured zone, turned into exact instants.

Schedules are written as "day D at HH:MM in zone Z". Around DST changes a wall time can
be missing (spring forward) or happen twice (fall back); these rules make every send
time one well-defined instant:
- a time in a gap is moved to the first valid instant after it (the end of the gap);
- a time in a fold takes its first occurrence.
Every instant returned is an aware datetime in the configured zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.errors import ReconcilerError

_SEND_AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# Dates given on the command line stay in these years: periods, look-backs and ranges
# step days and months around them, which must not leave datetime's years 1 to 9999.
FIRST_YEAR, LAST_YEAR = 1900, 2999


class ScheduleError(ReconcilerError):
    """A schedule setting (zone, send time, date) that cannot be used."""


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"unknown time zone {name!r} (expected an IANA name such as "
                            "'America/New_York')") from exc


def parse_send_at(value: str) -> time:
    """'HH:MM' (24-hour) as a time."""
    match = _SEND_AT.match(value or "")
    if not match:
        raise ScheduleError(f"send_at {value!r} is not a 24-hour time HH:MM")
    return time(int(match[1]), int(match[2]))


def _exists(naive: datetime, tz: ZoneInfo) -> bool:
    """Whether a wall time occurs in `tz` (False inside a spring-forward gap)."""
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return back == naive


@lru_cache(maxsize=8192)  # pure, and run-due asks for the same days over and over
def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant of wall time `at` on `day` in `tz` (gap -> end of gap, fold -> first)."""
    naive = datetime.combine(day, at)
    if _exists(naive, tz):
        return naive.replace(tzinfo=tz, fold=0)  # fold=0 is the first occurrence
    # In a gap: fold=1 reads the wall time with the offset after the change, fold=0 with
    # the one before; the transition lies between the two. Search it to the second.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0).astimezone(tz)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar date of an aware instant in `tz`."""
    if instant.tzinfo is None:
        raise ScheduleError("instants must carry a UTC offset (e.g. 2026-12-01T12:00:00-05:00)")
    return instant.astimezone(tz).date()


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of `day` in `tz`."""
    return local_instant(day, time(0, 0), tz)


def parse_instant(text: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 instant; without a UTC offset it is read as wall time in `tz`."""
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise ScheduleError(f"{text!r} is not an ISO 8601 date-time such as "
                            "2026-12-01T12:00:00-05:00") from None
    _check_year(text, value.year)
    if value.tzinfo is None:
        return local_instant(value.date(), value.time(), tz)
    return value


def parse_date(text: str) -> date:
    """A YYYY-MM-DD date."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise ScheduleError(f"{text!r} is not a date YYYY-MM-DD") from None
    _check_year(text, value.year)
    return value


def _check_year(text: str, year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ScheduleError(f"{text!r} is out of range (years {FIRST_YEAR} to {LAST_YEAR})")
