"""The audit's input: small typed facts, so the engine is a pure function of them.

The gather layer fills these from git (the policy in force over time), ConnectWise
(tickets carrying our keys, managed additions) and the Trend Micro sources; tests build
them by hand. Two kinds of fact cost a request or a file each and are needed only now
and then, so they are asked for on demand (`OnDemand`): the note of a ticket whose
summary digest does not match the expected record (contract 1: one read per mismatch),
and the detection counts of one summary period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from reconciler.config.model import Customer, frozen_map
from reconciler.domain.fold import fold
from reconciler.schedule import Clock, Period


@dataclass(frozen=True)
class PolicyAt:
    """The configuration in force from `since` (when `commit` landed) to the next one."""

    commit: str
    since: datetime
    author: str
    subject: str
    timezone: str
    send_at: str
    customers: Mapping[str, Customer]  # folded ConnectWise company -> customer
    error: str | None = None  # the commit did not load; the previous fleet stayed in force

    @property
    def clock(self) -> Clock:
        return Clock.of(self.timezone, self.send_at)

    def customer(self, company: str) -> Customer | None:
        return self.customers.get(fold(company))


@dataclass(frozen=True)
class SentTicket:
    """A ticket carrying one of our idempotency keys in `externalXRef`."""

    id: int
    key: str
    created: datetime  # when ConnectWise entered it
    summary_digest: str | None  # the ` [r:<digest>]` tag of its summary (None: untagged)
    duplicate_of: int | None = None  # a settled loser of a race (contract 4)


@dataclass(frozen=True)
class AdditionFact:
    """A managed agreement addition as it is now."""

    id: int
    company: str
    product: str  # product key from reconciler.yaml ("" when its catalog item is not ours)
    catalog_item: str
    quantity: float
    agreement: str  # "Type / Name (id N)", for findings
    last_updated: datetime | None = None
    cancelled: date | None = None


@dataclass(frozen=True)
class UsageFact:
    """Chargeable units the usage source reports for a customer, product and month."""

    customer_id: str  # Trend Micro customer id
    product: str
    month: str  # YYYY-MM
    units: float
    origin: str  # file:line or LMPI, named in findings


@dataclass(frozen=True)
class CountsFact:
    """Detection counts of one summary period, or why there are none."""

    counts: Mapping[str, int] | None
    origin: str  # the source, or the reason the counts are unavailable


@dataclass(frozen=True)
class PolicyChange:
    """One commit's change to one customer's effective policy (from `history`)."""

    commit: str
    date: str  # author date, ISO 8601
    author: str
    subject: str
    company: str
    sentences: tuple[str, ...]


class OnDemand(Protocol):
    """Facts that cost a request or a file each, asked for only when needed."""

    def note(self, ticket: SentTicket) -> str | None:
        """The ticket's initialDescription (its record line), or None when unreadable."""
        ...

    def counts(self, kind: str, customer_id: str, period: Period) -> CountsFact:
        """Detection counts of one customer, summary kind and period."""
        ...


@dataclass(frozen=True)
class AuditScope:
    """What to audit: periods starting in [start, end], as of `now`."""

    start: date  # first day of --from
    end: date  # last day of --to
    now: datetime
    customers: tuple[str, ...] = ()  # slugs or company ids; empty: every customer
    # A send counts as on time when entered within this long after it was due (run-due
    # runs hourly in CI, and CI queues); an unsent period is missed only past it.
    grace_hours: int = 24


@dataclass(frozen=True)
class AuditFacts:
    """Everything the engine reads."""

    timeline: tuple[PolicyAt, ...]  # oldest first
    tickets: tuple[SentTicket, ...]
    additions: tuple[AdditionFact, ...]
    usage: tuple[UsageFact, ...]
    on_demand: OnDemand
    usage_errors: Mapping[str, str] = field(default_factory=frozen_map)  # month -> why missing
    changes: tuple[PolicyChange, ...] = ()
    notes: tuple[str, ...] = ()  # what the gather layer could not read, said in the report
