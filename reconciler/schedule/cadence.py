"""When sends are due: pure functions of (policy, zone, send time, clock).

- Billing covers a calendar month and is due on day X of the *next* month (29-31 fall
  back to that month's last day) at `send_at`: a billing on day X of month M bills M-1,
  the last complete report cycle. Trend Micro's Licensing Management Platform reports
  "the highest respective values during the selected billing period" and the chargeable
  units "to bill for at the end of the selected billing period" (docs.trendmicro.com,
  "Licensing Management Platform: Billing tab"), so a month's units are final only once
  it has ended.
- Summaries are due the day after their period ends, at `send_at`: daily ones each day
  for the previous day, weekly ones on Monday for the previous ISO week, monthly ones on
  the 1st for the previous month.
Nothing here reads the clock: callers pass the instant (`at`) they mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from reconciler.config.model import Customer, Policy
from reconciler.schedule.clock import local_date, local_instant, parse_send_at, zone
from reconciler.schedule.periods import Frequency, Period, clamp_day

Kind = Literal["billing", "hosted_email_security", "email_security"]
KINDS: tuple[Kind, ...] = ("billing", "hosted_email_security", "email_security")


@dataclass(frozen=True)
class Clock:
    """Where and when in the day sends happen: `timezone` and `send_at` of the settings."""

    tz: ZoneInfo
    send_at: time

    @classmethod
    def of(cls, timezone: str, send_at: str) -> Clock:
        return cls(zone(timezone), parse_send_at(send_at))

    def instant(self, day: date) -> datetime:
        """The send instant on a local calendar day."""
        return local_instant(day, self.send_at, self.tz)


@dataclass(frozen=True)
class Cadence:
    """One kind of send for one policy: what period it covers and when it is due."""

    kind: Kind
    frequency: Frequency
    billing_day: int | None = None  # only for billing

    def due_date(self, period: Period) -> date:
        """The local day a period's send is due."""
        if self.kind == "billing":  # day X of the month after the one billed
            after = period.next()
            return clamp_day(after.start.year, after.start.month, self.billing_day or 1)
        return period.end + timedelta(days=1)

    def due(self, period: Period, clock: Clock) -> datetime:
        """The instant a period's send is due."""
        return clock.instant(self.due_date(period))

    def _latest_by_date(self, day: date) -> Period:
        """The latest period whose due date is on or before `day`."""
        if self.kind == "billing":
            period = Period.containing("month", day).prev()
            return period if self.due_date(period) <= day else period.prev()
        return Period.containing(self.frequency, day - timedelta(days=1))

    def latest_due(self, at: datetime, clock: Clock) -> Period:
        """The latest period due at or before the instant `at`."""
        period = self._latest_by_date(local_date(at, clock.tz))
        while self.due(period, clock) > at:  # due later today (before send_at)
            period = period.prev()
        return period

    def due_between(self, after: datetime, until: datetime, clock: Clock) -> list[Period]:
        """Periods due in (after, until], oldest first."""
        if until <= after:
            return []
        found: list[Period] = []
        period = self.latest_due(until, clock)
        while self.due(period, clock) > after:
            found.append(period)
            period = period.prev()
        return found[::-1]


def cadences(policy: Policy) -> list[Cadence]:
    """The cadences a policy turns on, in KINDS order."""
    result: list[Cadence] = []
    if policy.billing is not None:
        result.append(Cadence("billing", "month", policy.billing.day))
    for kind in ("hosted_email_security", "email_security"):
        summary = policy.summary(kind)
        if summary is not None:
            result.append(Cadence(kind, summary.every))
    return result


@dataclass(frozen=True)
class ScheduledSend:
    """One upcoming send: for `schedule` and previews."""

    customer: Customer
    kind: Kind
    period: Period
    due: datetime


def upcoming(
    customers: Iterable[Customer], start: datetime, end: datetime, clock: Clock
) -> list[ScheduledSend]:
    """Sends of enabled customers due in [start, end), ordered by due time then customer."""
    sends: list[ScheduledSend] = []
    # due_between is (after, until]: step a microsecond back so `start` itself is included
    after = start - timedelta(microseconds=1)
    until = end - timedelta(microseconds=1)
    for customer in customers:
        if not customer.enabled:
            continue
        for cadence in cadences(customer.policy):
            for period in cadence.due_between(after, until, clock):
                sends.append(ScheduledSend(customer, cadence.kind, period,
                                           cadence.due(period, clock)))
    sends.sort(key=lambda s: (s.due, s.customer.slug, KINDS.index(s.kind)))
    return sends
