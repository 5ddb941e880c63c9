"""What a run must send: due periods, gaps to fill and periods missed, from keys read in
bulk.

For each enabled customer and each kind its policy turns on:
- candidates are the periods due within the look-back window (`lookback_days` before
  `at`), always including the latest period due at `at`;
- the keys of every candidate of the run are read in bulk (`window.read_window`: a
  prefix per customer, kind and month, packed into a few requests);
- only for a (customer, kind) whose oldest candidate is unsent (a customer younger than
  the window, or an outage), one more read (every key starting `tmrm:<kind>:<COMPANY>:`,
  many customers per request) finds keys sent before it;
- the latest period is sent when unsent; an earlier unsent candidate is a gap, sent only
  if some period before it was sent (a customer's first run sends only the latest);
- periods after the last key sent before the window but due before the window starts are
  `missed`: too old to catch up automatically, reported so someone looks;
- a (customer, kind) whose key reads held a malformed ticket is `failed` (its latest
  period, naming the record): what was sent cannot be known, so nothing is sent for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reconciler.config.model import Customer
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Ticket
from reconciler.domain.fold import fold
from reconciler.domain.keys import kind_prefix, parse_key, send_key
from reconciler.schedule import KINDS, Cadence, Clock, Period, ScheduleError, cadences
from reconciler.sends.window import read_window

MAX_MISSED_LISTED = 400  # a very long outage is summarised past this many periods


@dataclass(frozen=True)
class DueSend:
    """One period of one customer's cadence that the run looked at."""

    customer: Customer
    cadence: Cadence
    period: Period
    key: str
    status: str  # send | already_sent | missed | failed
    due: datetime
    gap: bool = False  # an earlier period being caught up
    detail: str = ""  # why it failed


@dataclass
class DuePlan:
    """The work of a run, plus what the key reads found."""

    sends: list[DueSend] = field(default_factory=list)
    found: dict[str, list[Ticket]] = field(default_factory=dict)  # key -> tickets
    billed_before: dict[str, set[str]] = field(default_factory=dict)  # company -> labels

    def _billed(self, company: str) -> list[Period]:
        periods = []
        for label in self.billed_before.get(fold(company), ()):
            try:
                periods.append(Period.parse(label))
            except ScheduleError:
                continue
        return periods

    def has_billing_before(self, company: str, period: Period) -> bool:
        """Whether a scheduled billing ticket exists for a month before `period`."""
        return any(p.end < period.start for p in self._billed(company))

    def later_billing(self, company: str, period: Period) -> Period | None:
        """The latest month after `period` already billed, if any (a late gap must not
        roll the additions back to an older month's quantities)."""
        later = [p for p in self._billed(company) if p.start > period.end]
        return max(later) if later else None


def _candidates(cadence: Cadence, at: datetime, window_start: datetime,
                clock: Clock) -> list[Period]:
    found = cadence.due_between(window_start, at, clock)
    return found or [cadence.latest_due(at, clock)]


Pair = tuple[str, str]  # (company, kind)


def _pair_of(key: str, by_fold: dict[Pair, Pair]) -> tuple[Pair, str] | None:
    """The asked-for (company, kind) a key belongs to, and its period label."""
    parsed = parse_key(key)
    pair = by_fold.get((fold(parsed.company), parsed.kind or "")) if parsed else None
    return (pair, parsed.label) if pair is not None and parsed is not None else None


def _history(gateway: Gateway, pairs: Sequence[Pair]
             ) -> tuple[dict[Pair, list[Period]], dict[Pair, str]]:
    """Every period sent for each (company, kind) pair, read by key prefix in few
    requests; and the pairs whose answer held a malformed ticket."""
    history: dict[Pair, list[Period]] = {pair: [] for pair in pairs}
    by_fold = {(fold(company), kind): (company, kind) for company, kind in pairs}
    answer = gateway.tickets(key_prefixes=[kind_prefix(kind, company)
                                           for company, kind in pairs])
    for ticket in answer.records:
        found = _pair_of(ticket.key, by_fold)
        if found is None:
            continue
        try:
            history[found[0]].append(Period.parse(found[1]))
        except ScheduleError:
            continue  # not one of ours after all
    unreadable: dict[Pair, str] = {}
    for problem in answer.malformed:
        if problem.owner is None:  # whose it is cannot be read: it may be anyone's
            concerned = list(pairs)
        else:
            owned = _pair_of(str(problem.owner), by_fold)
            concerned = [owned[0]] if owned is not None else []
        for pair in concerned:
            unreadable.setdefault(pair, str(problem))
    return history, unreadable


def find_due(gateway: Gateway, customers: Iterable[Customer], clock: Clock, at: datetime,
             lookback_days: int) -> DuePlan:
    """The sends due at `at` for `customers` (two bulk reads at most)."""
    window_start = at - timedelta(days=max(0, lookback_days))
    work: list[tuple[Customer, Cadence, list[Period]]] = []
    for customer in sorted(customers, key=lambda c: c.slug):
        if not customer.enabled:
            continue
        for cadence in cadences(customer.policy):
            work.append((customer, cadence, _candidates(cadence, at, window_start, clock)))
    plan = DuePlan()
    keys = [send_key(c.kind, cu.company, p.label) for cu, c, ps in work for p in ps]
    window = read_window(gateway, keys)
    plan.found = window.found
    unreadable: dict[Pair, str] = {}
    for cu, c, ps in work:
        for p in ps:
            problem = window.unreadable.get(send_key(c.kind, cu.company, p.label))
            if problem is not None:
                unreadable.setdefault((cu.company, c.kind), str(problem))

    def sent(customer: Customer, cadence: Cadence, period: Period) -> bool:
        return send_key(cadence.kind, customer.company, period.label) in plan.found

    need_history = sorted({(cu.company, c.kind) for cu, c, ps in work
                           if not sent(cu, c, ps[0]) and (cu.company, c.kind) not in unreadable})
    history, broken = _history(gateway, need_history) if need_history else ({}, {})
    unreadable.update(broken)

    for customer, cadence, periods in work:
        first = periods[0]
        problem = unreadable.get((customer.company, cadence.kind))
        if problem is not None:  # what was sent is unknown: send nothing, say why
            latest = periods[-1]
            plan.sends.append(DueSend(
                customer, cadence, latest, send_key(cadence.kind, customer.company,
                                                    latest.label),
                "failed", cadence.due(latest, clock), detail=f"cannot tell what was sent: "
                f"{problem}; nothing is sent for it until ConnectWise answers sensibly"))
            continue
        sent_periods = [p for p in periods if sent(customer, cadence, p)]
        before = [p for p in history.get((customer.company, cadence.kind), [])
                  if p.end < first.start]
        if cadence.kind == "billing":
            plan.billed_before.setdefault(fold(customer.company), set()).update(
                p.label for p in [*sent_periods, *before])
        known = sent_periods + before
        if before:
            plan.sends.extend(_missed(customer, cadence, max(before, key=lambda p: p.end),
                                      first, clock))
        for period in periods:
            key = send_key(cadence.kind, customer.company, period.label)
            due = cadence.due(period, clock)
            latest = period is periods[-1]
            if sent(customer, cadence, period):
                if latest:
                    plan.sends.append(DueSend(customer, cadence, period, key, "already_sent", due))
                continue
            earlier = any(p.end < period.start for p in known)
            if latest or earlier:
                plan.sends.append(DueSend(customer, cadence, period, key, "send", due,
                                          gap=not latest))
    plan.sends.sort(key=lambda s: (s.customer.slug, KINDS.index(s.cadence.kind), s.period.start))
    return plan


def _missed(customer: Customer, cadence: Cadence, last_sent: Period, first_candidate: Period,
            clock: Clock) -> list[DueSend]:
    """Periods after `last_sent` and before the window: never sent, too old to send now."""
    period = Period.containing(cadence.frequency, last_sent.end + timedelta(days=1))
    missed: list[DueSend] = []
    while period.start < first_candidate.start and len(missed) < MAX_MISSED_LISTED:
        key = send_key(cadence.kind, customer.company, period.label)
        missed.append(DueSend(customer, cadence, period, key, "missed",
                              cadence.due(period, clock)))
        period = period.next()
    return missed
