"""The upcoming sends a policy change moves: "next billing moves from X to Y".

A reviewer approving "billing day 5 -> 31" wants to know when the customer's next
invoice goes out, and for which month. The answer is what `run-due` will actually do
(`schedule.coverage`, the rules run-due follows): every send the base configuration made
due by `at` is taken as sent, and for each kind the next run that sends something is
found under the base and under the head configuration, with the periods it sends. So a
weekly summary switched to daily says the next run catches up the days no weekly summary
covered, and a billing day moved earlier says which month goes out at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.config.model import Customer, Settings
from reconciler.errors import ReconcilerError
from reconciler.schedule import KINDS, Clock, Period, cadences
from reconciler.schedule.coverage import Coverage, first_sends

# The longest gap between two sends of one kind is a month (billing day 31 in a
# 31-day month after a 28-day one stays under 62 days); look one period further.
HORIZON = timedelta(days=63)
LISTED = 3  # periods named one by one; more are summarised as a range

LABELS = {
    "billing": "billing",
    "hosted_email_security": "hosted email security summary",
    "email_security": "email security summary",
}


def format_instant(instant: datetime) -> str:
    """'2026-12-31 06:00 -05:00': local wall time with its offset, minutes precision."""
    offset = instant.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{instant:%Y-%m-%d %H:%M} {sign}{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class NextSend:
    """The next run that sends something of one kind, and what it sends."""

    kind: str
    instant: datetime  # `at` itself when it is due already: the next run sends it
    periods: tuple[Period, ...]
    now: bool = False

    def describe(self) -> str:
        when = "the next run" if self.now else format_instant(self.instant)
        labels = [p.label for p in self.periods]
        if len(labels) > LISTED:
            what = f"{labels[0]} to {labels[-1]}, {len(labels)} sends"
        else:
            what = ", ".join(labels)
        return f"{when} (for {what})"


def _sent_by(customer: Customer, settings: Settings, at: datetime, lookback: timedelta
             ) -> dict[str, Coverage]:
    """What a customer's configuration has sent by `at`, per kind, taking every send it
    made due as sent."""
    clock = Clock.of(settings.timezone, settings.send_at)
    since = at - 3 * lookback - HORIZON
    if not customer.enabled:
        return {}
    return {c.kind: Coverage(c.due_between(since, at, clock)) for c in cadences(customer.policy)}


def next_sends(customer: Customer, settings: Settings, at: datetime,
               sent: dict[str, Coverage]) -> dict[str, NextSend]:
    """The next send of each kind for a customer (nothing while disabled), given what is
    already sent."""
    if not customer.enabled:
        return {}
    clock = Clock.of(settings.timezone, settings.send_at)
    lookback = timedelta(days=settings.lookback_days)
    found: dict[str, NextSend] = {}
    for cadence in cadences(customer.policy):
        first = first_sends(cadence, clock, at, lookback, sent.get(cadence.kind, Coverage()),
                            at + HORIZON)
        if first is not None:
            instant, periods = first
            found[cadence.kind] = NextSend(cadence.kind, instant, tuple(periods),
                                           now=instant == at)
    return found


def sends_moved(
    base: tuple[Customer, Settings] | None,
    head: tuple[Customer, Settings] | None,
    at: datetime,
) -> tuple[str, ...]:
    """Sentences for each upcoming send that the change moves, starts or stops."""
    try:
        sent = _sent_by(*base, at, timedelta(days=base[1].lookback_days)) if base else {}
        before = next_sends(*base, at, sent) if base else {}
        after = next_sends(*head, at, sent) if head else {}
    except ReconcilerError as exc:  # e.g. an unknown time zone: say so, don't fail the plan
        return (f"upcoming sends not computed: {exc}",)
    out = []
    for kind in KINDS:
        old, new = before.get(kind), after.get(kind)
        label = LABELS[kind]
        if old and new:
            if (old.instant, old.periods) != (new.instant, new.periods):
                out.append(f"next {label} moves from {old.describe()} to {new.describe()}")
        elif old:
            out.append(f"next {label} on {old.describe()} no longer happens")
        elif new:
            out.append(f"next {label}: {new.describe()} (new)")
    return tuple(out)
