"""Catch-up by coverage: what a run at an instant sends for one kind of summary or billing.

A day is covered when any send of that kind covers it (a daily, weekly or monthly
summary, a span, or a waiver), so changing a frequency sends only what no earlier send
covers, never a day twice. Given what is covered, for one cadence at an instant:
- a period of the cadence due within the look-back window is sent where it is not
  covered: whole when none of it is, else its uncovered days as spans (one run of days
  each, `Period.span`);
- the latest period due is sent when nothing of that kind was ever sent (a new
  customer's first run sends only it), or when something before it was; an earlier one
  only when something before it was sent or it is owed (a gap: catching up);
- a period older than the look-back window (back to `horizon`) that is owed and not
  covered is `missed`: too old to send on its own, reported on every run until it is
  sent by hand or waived;
- a period only later sends cover around (a run back-dated with `--at` to before a
  customer's first send) is never sent, so a back-dated run cannot start a new series.
"Owed" periods are those a failed first send or an earlier run's `missed` marked (their
record is in ConnectWise; `sends.due` reads them). Pure: the clock is a parameter.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from reconciler.schedule.cadence import Cadence, Clock
from reconciler.schedule.periods import Period


class Coverage:
    """The days some send (or waiver) of one kind covers."""

    def __init__(self, periods: Iterable[Period] = ()) -> None:
        spans: list[tuple[int, int]] = []
        for start, end in sorted((p.start.toordinal(), p.end.toordinal()) for p in periods):
            if spans and start <= spans[-1][1] + 1:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            else:
                spans.append((start, end))
        self._starts = [s for s, _ in spans]
        self._spans = spans

    def __bool__(self) -> bool:
        return bool(self._spans)

    def plus(self, periods: Iterable[Period]) -> Coverage:
        """This coverage and `periods`."""
        return Coverage([*self.periods(), *periods])

    def periods(self) -> list[Period]:
        return [Period.span(date.fromordinal(s), date.fromordinal(e)) for s, e in self._spans]

    def covers(self, day: date) -> bool:
        n = day.toordinal()
        i = bisect.bisect_right(self._starts, n) - 1
        return i >= 0 and self._spans[i][1] >= n

    def any_before(self, day: date) -> bool:
        return bool(self._spans) and self._spans[0][0] < day.toordinal()

    def any_after(self, day: date) -> bool:
        return bool(self._spans) and self._spans[-1][1] > day.toordinal()

    def uncovered(self, period: Period) -> list[Period]:
        """The parts of `period` no send covers: the period itself when none of it is
        covered, else each run of uncovered days as a span (or a day)."""
        parts: list[Period] = []
        start: date | None = None
        day = period.start
        while day <= period.end:
            if self.covers(day):
                if start is not None:
                    parts.append(Period.span(start, day - timedelta(days=1)))
                    start = None
            elif start is None:
                start = day
            day += timedelta(days=1)
        if start is not None:
            parts.append(Period.span(start, period.end))
        if len(parts) == 1 and (parts[0].start, parts[0].end) == (period.start, period.end):
            return [period]
        return parts


Status = Literal["send", "covered", "missed", "before_start"]


@dataclass(frozen=True)
class Step:
    """What a run does about one period (or uncovered part of one) of a cadence."""

    period: Period  # what is sent: a cadence period, or an uncovered part of one
    of: Period  # the cadence period it belongs to
    due: datetime  # when `of` fell due
    status: Status
    gap: bool = False  # an earlier period being caught up (not the latest)
    latest: bool = False  # the latest period due at the run's instant


def due_of(cadence: Cadence, period: Period, clock: Clock) -> datetime:
    """When a period of the cadence fell due (a span: the day after it ends, as a
    summary of those days would)."""
    if period.frequency == "span":
        return clock.instant(period.end + timedelta(days=1))
    return cadence.due(period, clock)


def window(cadence: Cadence, clock: Clock, at: datetime, lookback: timedelta
           ) -> list[Period]:
    """The cadence's periods due within the look-back window, oldest first; at least the
    latest one due."""
    found = cadence.due_between(at - lookback, at, clock)
    return found or [cadence.latest_due(at, clock)]


def decide(cadence: Cadence, clock: Clock, at: datetime, lookback: timedelta,
           coverage: Coverage, *, owed: Sequence[Period] = (),
           horizon: datetime | None = None) -> list[Step]:
    """What a run at `at` does for one cadence, given what is covered (sent or waived)
    and what is owed: sends, the latest period already covered, and periods missed
    between `horizon` (default: two look-backs before `at`) and the window.

    `coverage` must hold every send of the kind since `horizon`, and every earlier one
    too when none is that recent (the caller reads the history then): whether a period
    is owed depends on what was sent before it."""
    candidates = window(cadence, clock, at, lookback)
    latest = candidates[-1]
    steps: list[Step] = []

    def started_before(day: date) -> bool:
        return coverage.any_before(day) or any(o.start < day for o in owed)

    def is_owed(part: Period) -> bool:
        return started_before(part.start) or any(
            o.start <= part.end and part.start <= o.end for o in owed)

    floor = horizon if horizon is not None else at - 2 * lookback
    first_in_window = candidates[0]
    old = cadence.due_between(floor, cadence.due(first_in_window, clock)
                              - timedelta(microseconds=1), clock)
    older_owed = [o for o in owed if o.end < first_in_window.start
                  and not any(p.start <= o.start and o.end <= p.end for p in old)]
    for of in [*older_owed, *old]:
        for part in coverage.uncovered(of):
            if is_owed(part):
                steps.append(Step(part, of, due_of(cadence, of, clock), "missed"))
    for of in candidates:
        is_latest = of is latest
        due = cadence.due(of, clock)
        parts = coverage.uncovered(of)
        if not parts and is_latest:
            steps.append(Step(of, of, due, "covered", latest=True))
        for part in parts:
            first_ever = is_latest and not coverage and not owed
            if is_owed(part) or first_ever:
                steps.append(Step(part, of, due, "send", gap=not is_latest, latest=is_latest))
            elif is_latest and coverage.any_after(of.end):
                steps.append(Step(part, of, due, "before_start", latest=True))
    steps.sort(key=lambda s: (s.period.start, s.period.end))
    return steps


def first_sends(cadence: Cadence, clock: Clock, at: datetime, lookback: timedelta,
                coverage: Coverage, until: datetime) -> tuple[datetime, list[Period]] | None:
    """When the next run from `at` on sends something for this cadence, and what: runs
    at `at` and at each due instant after it until `until`, each seeing what the runs
    before it sent (for previews such as the policy review's "sends it moves")."""
    instants = [at] + [cadence.due(p, clock) for p in
                       cadence.due_between(at, until, clock)]
    for instant in instants:
        sends = [s.period for s in decide(cadence, clock, instant, lookback, coverage)
                 if s.status == "send"]
        if sends:
            return instant, sends
    return None
