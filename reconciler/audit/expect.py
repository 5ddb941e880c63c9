"""Which sends were due, and from when, under the policy in force at each moment.

Run-due at any instant sends the latest period due (and fills gaps since the last one
sent). So under the configuration in force over [since, until), a period became
expected either when it fell due inside that span, or at `since` itself when it was
the latest period due as the span began (a customer added or a send switched on after
its due day is sent at once). A period's expected instant is the earliest of these
over the whole timeline; a policy that turned a send off before it fell due expects
nothing. Due dates come from `reconciler.schedule` (never derived here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reconciler.audit.facts import PolicyAt
from reconciler.config.model import Customer
from reconciler.domain.fold import fold
from reconciler.schedule import Cadence, Period, cadences

# Any period starting in the range falls due within this long after the range ends
# (a month's billing on day 31 of the month after, plus a margin).
DUE_HORIZON = timedelta(days=70)


@dataclass(frozen=True)
class Expected:
    """One period a customer's policy made due."""

    company: str  # folded
    kind: str
    period: Period
    due: datetime  # when the schedule has it due
    expected_at: datetime  # when a run should have sent it (due, or when the policy began)
    policy: PolicyAt
    customer: Customer


def months_in(start: date, end: date) -> list[Period]:
    """Every calendar month from the one holding `start` to the one holding `end`."""
    month, out = Period.containing("month", start), []
    while month.start <= end:
        out.append(month)
        month = month.next()
    return out


def _spans(timeline: tuple[PolicyAt, ...], now: datetime):
    for i, entry in enumerate(timeline):
        until = timeline[i + 1].since if i + 1 < len(timeline) else now
        if entry.since < min(until, now):
            yield entry, entry.since, min(until, now)


def _in_range(period: Period, start: date, end: date) -> bool:
    return start <= period.start <= end


def expected_sends(
    timeline: tuple[PolicyAt, ...], start: date, end: date, now: datetime
) -> dict[tuple[str, str, str], Expected]:
    """(folded company, kind, period label) -> the earliest expectation, for periods
    starting in [start, end] that fell due before `now`."""
    found: dict[tuple[str, str, str], Expected] = {}
    for entry, since, until in _spans(timeline, now):
        clock = entry.clock
        lo = clock.instant(start) - timedelta(days=1)
        hi = clock.instant(end) + DUE_HORIZON
        if until <= lo or since >= hi:
            continue
        for company, customer in entry.customers.items():
            if not customer.enabled:
                continue
            for cadence in cadences(customer.policy):
                for period in _candidates(cadence, since, until, lo, hi, clock):
                    if not _in_range(period, start, end):
                        continue
                    due = cadence.due(period, clock)
                    at = max(due, since)
                    k = (fold(company), cadence.kind, period.label)
                    if k not in found or at < found[k].expected_at:
                        found[k] = Expected(fold(company), cadence.kind, period, due, at,
                                            entry, customer)
    return found


def _candidates(cadence: Cadence, since: datetime, until: datetime, lo: datetime,
                hi: datetime, clock) -> list[Period]:
    periods = cadence.due_between(max(since, lo), min(until, hi), clock)
    if since >= lo:
        periods.insert(0, cadence.latest_due(since, clock))
    return periods


@dataclass(frozen=True)
class Audited:
    """A customer the audit covers, as the latest configuration names it."""

    slug: str
    name: str
    company: str  # as the configuration spells it
    trend_micro_id: str


def customers_of(timeline: tuple[PolicyAt, ...], wanted: tuple[str, ...] = ()
                 ) -> dict[str, Audited]:
    """Every customer the configuration ever had, by folded company (the latest name
    wins), narrowed to `wanted` (slugs or company ids, case-insensitive)."""
    found: dict[str, Audited] = {}
    for entry in timeline:
        for company, c in entry.customers.items():
            found[company] = Audited(c.slug, c.name, c.company, c.trend_micro_id)
    if not wanted:
        return found
    asked = {fold(w) for w in wanted}
    return {c: w for c, w in found.items() if c in asked or fold(w.slug) in asked}


def policy_at(timeline: tuple[PolicyAt, ...], instant: datetime) -> PolicyAt | None:
    """The configuration in force at `instant` (None before the first commit)."""
    current = None
    for entry in timeline:
        if entry.since > instant:
            break
        current = entry
    return current
