"""A known fleet and a year of its sends, built as audit facts (no git, no HTTP).

`clean_world()` is a year in which every due send went out an hour after it was due with
the source's numbers, and every addition holds the latest billed quantity; tests then
break it in known ways. Due instants come from the schedule's cadences directly, not
from the audit's own expectation code, so a wrong expectation shows up as a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from reconciler.audit.facts import (
    AdditionFact,
    AuditFacts,
    AuditScope,
    CountsFact,
    PolicyAt,
    PolicyChange,
    SentTicket,
    UsageFact,
)
from reconciler.config.model import BillingPolicy, Customer, Policy, SummaryPolicy, frozen_map
from reconciler.domain import records
from reconciler.domain.fold import fold
from reconciler.domain.keys import send_key
from reconciler.schedule import Clock, Period, cadences
from tests.review.review_factories import customer

TZ, SEND_AT = "America/New_York", "06:00"
START, END = date(2026, 1, 1), date(2026, 12, 31)
NOW = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)
FIRST_COMMIT = datetime(2025, 12, 15, 9, 0, tzinfo=UTC)
DETECTIONS = ("spam", "phishing")


def fleet_customers() -> tuple[Customer, ...]:
    return (
        customer("acme", name="Acme Corporation", policy=Policy(
            billing=BillingPolicy(5, ("wfbss", "cas")),
            hosted_email_security=SummaryPolicy("week", DETECTIONS))),
        customer("globex", name="Globex", policy=Policy(
            billing=BillingPolicy(31, ("wfbss",)),
            email_security=SummaryPolicy("month", ("spam", "bec"), "advanced"))),
        customer("initech", name="Initech", policy=Policy(billing=BillingPolicy(1, ("wfbss",)))),
    )


def policy(commit: str, since: datetime, customers, author="Ada Admin") -> PolicyAt:
    return PolicyAt(commit, since, author, f"commit {commit}", TZ, SEND_AT,
                    frozen_map({fold(c.company): c for c in customers}))


def units_for(customer_id: str, product: str, month: str) -> int:
    """Deterministic, different per customer, product and month."""
    return 10 + sum(map(ord, customer_id + product)) % 40 + int(month[-2:])


def counts_for(kind: str, customer_id: str, label: str) -> dict[str, int]:
    seed = sum(map(ord, kind + customer_id + label))
    return {"spam": seed % 50, "phishing": seed % 7, "bec": seed % 3}


@dataclass
class FakeOnDemand:
    """Notes and detection counts from dicts, counting what was asked for."""

    notes: dict[int, str] = field(default_factory=dict)
    counts_overrides: dict[tuple[str, str, str], dict[str, int] | None] = field(
        default_factory=dict)
    notes_read: list[int] = field(default_factory=list)
    counts_read: int = 0

    def note(self, ticket: SentTicket) -> str | None:
        self.notes_read.append(ticket.id)
        return self.notes.get(ticket.id)

    def counts(self, kind: str, customer_id: str, period: Period) -> CountsFact:
        self.counts_read += 1
        k = (kind, customer_id, period.label)
        if k in self.counts_overrides:
            found = self.counts_overrides[k]
            return CountsFact(found, "files" if found is not None else "no file for the day")
        return CountsFact(counts_for(kind, customer_id, period.label), "data/detections")


@dataclass
class World:
    """Facts under construction: tickets by key, with helpers to fake each fault."""

    timeline: list[PolicyAt]
    tickets: list[SentTicket] = field(default_factory=list)
    additions: list[AdditionFact] = field(default_factory=list)
    usage: list[UsageFact] = field(default_factory=list)
    on_demand: FakeOnDemand = field(default_factory=FakeOnDemand)
    changes: list[PolicyChange] = field(default_factory=list)
    next_id: int = 1000

    def facts(self) -> AuditFacts:
        return AuditFacts(tuple(self.timeline), tuple(self.tickets), tuple(self.additions),
                          tuple(self.usage), self.on_demand, changes=tuple(self.changes))

    def send(self, key: str, record: dict, created: datetime, *, tag: bool = True,
             duplicate_of: int | None = None) -> SentTicket:
        """A ticket whose note carries `record` (and whose summary its digest)."""
        self.next_id += 1
        ticket = SentTicket(self.next_id, key, created, records.digest(record) if tag else None,
                            duplicate_of)
        self.tickets.append(ticket)
        self.on_demand.notes[ticket.id] = f"Trend Micro billing\n\n{records.record_line(record)}\n"
        return ticket

    def find(self, key: str) -> SentTicket:
        return next(t for t in self.tickets if t.key == key)

    def drop(self, key: str) -> None:
        self.tickets = [t for t in self.tickets if t.key != key]

    def move(self, key: str, created: datetime) -> None:
        self.tickets = [replace(t, created=created) if t.key == key else t for t in self.tickets]

    def set_usage(self, customer_id: str, product: str, month: str, units: float) -> None:
        self.usage = [replace(u, units=units) if (u.customer_id, u.product, u.month) ==
                      (customer_id, product, month) else u for u in self.usage]


def billing_record(c: Customer, label: str) -> dict:
    return records.billing_record(
        send_key("billing", c.company, label),
        {p: units_for(c.trend_micro_id, p, label) for p in c.billed_products})


def summary_record(c: Customer, kind: str, label: str) -> dict:
    return records.summary_record(send_key(kind, c.company, label),
                                  c.policy.summary(kind).detections,
                                  counts_for(kind, c.trend_micro_id, label))


def clean_world(customers: tuple[Customer, ...] | None = None) -> World:
    customers = customers or fleet_customers()
    world = World([policy("a" * 40, FIRST_COMMIT, customers)])
    clock = Clock.of(TZ, SEND_AT)
    for c in customers:
        for month in range(1, 13):
            label = f"2026-{month:02d}"
            for product in c.billed_products:
                world.usage.append(UsageFact(c.trend_micro_id, product, label,
                                             units_for(c.trend_micro_id, product, label),
                                             f"data/usage/{label}.csv:{month + 1}"))
        latest: tuple[str, datetime] | None = None  # the latest month billed, and when
        for cadence in cadences(c.policy):
            period = Period.containing(cadence.frequency, START)
            if period.start < START:
                period = period.next()
            while period.start <= END:
                due = cadence.due(period, clock)
                if due < NOW:
                    key = send_key(cadence.kind, c.company, period.label)
                    record = (billing_record(c, period.label) if cadence.kind == "billing"
                              else summary_record(c, cadence.kind, period.label))
                    world.send(key, record, due + timedelta(hours=1))
                    if cadence.kind == "billing":
                        latest = (period.label, due + timedelta(hours=1))
                period = period.next()
        # every addition holds the units of the latest month billed (billing on day X bills
        # the month before: contract 2), written as that billing went out
        label, billed_at = latest or ("2026-12", datetime(2026, 12, 6, tzinfo=UTC))
        for i, product in enumerate(c.billed_products):
            last = units_for(c.trend_micro_id, product, label)
            world.additions.append(AdditionFact(
                500 + 10 * customers.index(c) + i, c.company, product, f"TM-{product}", last,
                "Managed Service / Main (id 7)", last_updated=billed_at))
    return world


def scope(**overrides) -> AuditScope:
    return replace(AuditScope(START, END, NOW), **overrides)
