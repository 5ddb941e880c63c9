"""Periods and due computation for scheduled sends (pure; the clock is a parameter)."""

from reconciler.schedule.cadence import (
    KINDS,
    Cadence,
    Clock,
    Kind,
    ScheduledSend,
    cadences,
    upcoming,
)
from reconciler.schedule.clock import (
    ScheduleError,
    local_instant,
    parse_date,
    parse_instant,
    parse_send_at,
    zone,
)
from reconciler.schedule.periods import Period, clamp_day, last_day

__all__ = [
    "KINDS",
    "Cadence",
    "Clock",
    "Kind",
    "Period",
    "ScheduleError",
    "ScheduledSend",
    "cadences",
    "clamp_day",
    "last_day",
    "local_instant",
    "parse_date",
    "parse_instant",
    "parse_send_at",
    "upcoming",
    "zone",
]
