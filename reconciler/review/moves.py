"""The upcoming sends a policy change moves: "next billing moves from X to Y".

A reviewer approving "billing day 5 -> 31" wants to know the customer's next invoice
goes out on the 31st instead of the 5th. For each kind of send, the next one after `at`
is computed under the base and the head configuration with `reconciler.schedule`; a
difference in when it is due, or in the period it covers, is one sentence.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from reconciler.config.model import Customer, Settings
from reconciler.errors import ReconcilerError
from reconciler.schedule import KINDS, Clock, ScheduledSend, upcoming

# The longest gap between two sends of one kind is a month (billing day 31 in a
# 31-day month after a 28-day one stays under 62 days); look one period further.
HORIZON = timedelta(days=63)

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


def next_sends(customer: Customer, settings: Settings, at: datetime) -> dict[str, ScheduledSend]:
    """The next send of each kind for a customer (nothing while disabled)."""
    clock = Clock.of(settings.timezone, settings.send_at)
    found: dict[str, ScheduledSend] = {}
    for send in upcoming([customer], at, at + HORIZON, clock):
        found.setdefault(send.kind, send)
    return found


def _describe(send: ScheduledSend) -> str:
    return f"{format_instant(send.due)} (for {send.period.label})"


def sends_moved(
    base: tuple[Customer, Settings] | None,
    head: tuple[Customer, Settings] | None,
    at: datetime,
) -> tuple[str, ...]:
    """Sentences for each upcoming send that the change moves, starts or stops."""
    try:
        before = next_sends(*base, at) if base else {}
        after = next_sends(*head, at) if head else {}
    except ReconcilerError as exc:  # e.g. an unknown time zone: say so, don't fail the plan
        return (f"upcoming sends not computed: {exc}",)
    out = []
    for kind in KINDS:
        old, new = before.get(kind), after.get(kind)
        label = LABELS[kind]
        if old and new:
            if (old.due, old.period) != (new.due, new.period):
                out.append(f"next {label} moves from {_describe(old)} to {_describe(new)}")
        elif old:
            out.append(f"next {label} on {_describe(old)} no longer happens")
        elif new:
            out.append(f"next {label}: {_describe(new)} (new)")
    return tuple(out)
