"""Periods that sends cover: a day, an ISO week or a calendar month.

A period is identified by its label, which is also the tail of the send's idempotency
key: `2026-11-24` (day), `2026-W47` (ISO week, Monday to Sunday, ISO week-numbering
year) and `2026-11` (month). Labels of one frequency sort in time order.

A span is the part of a period that no earlier send covers, sent when a summary's
frequency changed (`schedule.coverage`): `2026-11-25/2026-11-29`, an ISO 8601 interval
of whole days (a single uncovered day is sent as that day's period).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Literal

from reconciler.schedule.clock import ScheduleError

Frequency = Literal["day", "week", "month"]

_SPAN = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def last_day(year: int, month: int) -> int:
    """The number of days in a month (February follows the leap-year rule)."""
    return calendar.monthrange(year, month)[1]


def clamp_day(year: int, month: int, day: int) -> date:
    """Day `day` (1..31) of a month, or the month's last day when it is shorter."""
    if not 1 <= day <= 31:
        raise ScheduleError(f"billing day {day} is not between 1 and 31")
    return date(year, month, min(day, last_day(year, month)))


@dataclass(frozen=True, order=True)
class Period:
    """A day, ISO week or month: `start` and `end` are inclusive dates."""

    start: date
    end: date
    frequency: Frequency | Literal["span"]

    @classmethod
    def containing(cls, frequency: Frequency, day: date) -> Period:
        """The period of `frequency` that contains `day`."""
        if frequency == "day":
            return cls(day, day, "day")
        if frequency == "week":
            monday = day - timedelta(days=day.weekday())
            return cls(monday, monday + timedelta(days=6), "week")
        if frequency == "month":
            first = day.replace(day=1)
            return cls(first, first.replace(day=last_day(day.year, day.month)), "month")
        raise ScheduleError(f"unknown frequency {frequency!r} (expected day, week or month)")

    @classmethod
    def span(cls, start: date, end: date) -> Period:
        """The days from `start` to `end`: one day's period when they are the same."""
        if end < start:
            raise ScheduleError(f"a span cannot end ({end}) before it starts ({start})")
        return cls.containing("day", start) if start == end else cls(start, end, "span")

    @classmethod
    def parse(cls, label: str) -> Period:
        """The period a label names: YYYY-MM-DD, YYYY-Www, YYYY-MM or a span
        YYYY-MM-DD/YYYY-MM-DD."""
        try:
            if m := _SPAN.match(label):
                start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
                if end <= start:
                    raise ScheduleError(f"period {label!r} does not end after it starts")
                return cls(start, end, "span")
            if m := _DAY.match(label):
                return cls.containing("day", date(int(m[1]), int(m[2]), int(m[3])))
            if m := _WEEK.match(label):
                return cls.containing("week", date.fromisocalendar(int(m[1]), int(m[2]), 1))
            if m := _MONTH.match(label):
                return cls.containing("month", date(int(m[1]), int(m[2]), 1))
        except ValueError as exc:
            raise ScheduleError(f"period {label!r} is not a valid date: {exc}") from exc
        raise ScheduleError(f"period {label!r} is not YYYY-MM-DD, YYYY-Www, YYYY-MM or "
                            "YYYY-MM-DD/YYYY-MM-DD")

    @cached_property  # frozen, so computed once; written to __dict__, not a field
    def label(self) -> str:
        if self.frequency == "span":
            return f"{self.start.isoformat()}/{self.end.isoformat()}"
        if self.frequency == "day":
            return self.start.isoformat()
        if self.frequency == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    def next(self) -> Period:
        """The period right after this one (of a day, week or month)."""
        return Period.containing(self._stepping(), self.end + timedelta(days=1))

    def prev(self) -> Period:
        """The period right before this one (of a day, week or month)."""
        return Period.containing(self._stepping(), self.start - timedelta(days=1))

    def _stepping(self) -> Frequency:
        if self.frequency == "span":
            raise ScheduleError(f"a span ({self.label}) has no next or previous period")
        return self.frequency

    def days(self) -> int:
        """How many days the period covers."""
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return self.label
