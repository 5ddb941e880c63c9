"""Filling the audit's facts: git (policy in force, history), ConnectWise, the sources.

- git: `review.timeline` gives the fleet in force after each commit of the branch,
  `review.history` who changed which customer's policy and how;
- ConnectWise, through `ConnectWiseReads` (in bulk: billings and waivers in chunks of
  companies, summaries by key prefix narrowed to the years in range; the additions of
  the audited companies; a ticket's note only when its digest does not match),
  implemented over the gateway by `GatewayReads` (tests pass their own
  `ConnectWiseReads`);
- the usage source once per month in range; detection counts on demand per period.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Protocol

from reconciler.audit.expect import customers_of, months_in
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
from reconciler.audit.model import Requests
from reconciler.config.model import frozen_map
from reconciler.connectwise.client import MAX_PAGE_SIZE
from reconciler.connectwise.gateway import Batch, Gateway
from reconciler.connectwise.records import instant_of
from reconciler.domain import records
from reconciler.domain.billed import BILLING_KEYS
from reconciler.domain.fold import fold
from reconciler.domain.keys import KIND_TAGS, PREFIX, WAIVED
from reconciler.errors import ReconcilerError
from reconciler.review.history import history
from reconciler.review.snapshots import FleetSnapshots
from reconciler.review.timeline import FleetAt, policy_timeline
from reconciler.schedule import Period
from reconciler.sources import DetectionSource, SourceError, UsageSource


class ConnectWiseReads(Protocol):
    """What the audit reads from ConnectWise (implemented over the gateway)."""

    def tickets_by_key_prefix(self, prefixes: Sequence[str]) -> list[SentTicket]:
        """Every ticket whose externalXRef starts with one of `prefixes` (in bulk)."""
        ...

    def tickets_of_companies(self, companies: Sequence[str], prefixes: Sequence[str]
                             ) -> list[SentTicket]:
        """Every ticket of these companies whose externalXRef starts with one of the
        company-free `prefixes` (in bulk: chunks of companies)."""
        ...

    def additions(self, companies: Sequence[str], catalog_items: Sequence[str]
                  ) -> list[AdditionFact]:
        """The additions of these catalog items on the companies' agreements (`product`
        may be left empty: gather fills it from the configuration)."""
        ...

    def ticket_note(self, ticket_id: int) -> str | None:
        """The ticket's initialDescription note (where its record line is)."""
        ...

    def cost(self) -> Requests:
        """The requests made so far, against the fewest the reads needed."""
        ...


def _well_formed(batch: Batch) -> tuple:
    """The records of a read the report rests on: a malformed one stops the audit (what
    it would have said cannot be known)."""
    if batch.malformed:
        raise batch.malformed[0]
    return batch.records


def pages(records: int) -> int:
    """Listings needed for `records` records at ConnectWise's largest page (at least one:
    a read that finds nothing still costs its request)."""
    return max(1, math.ceil(records / MAX_PAGE_SIZE))


class GatewayReads:
    """The audit's reads over the ConnectWise gateway, counting what the fewest requests
    for them would be: one listing per 1,000 tickets or agreements found, one per active
    agreement's additions (ConnectWise lists additions only per agreement), one per note
    read (contract 1: one per digest mismatch), and the codebase discovery when the client
    still has it to make. Key prefixes share requests as the URL length allows, so the
    ticket reads of a large fleet cost more than their pages: the ratio shows it."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.start = gateway.request_count
        client = getattr(gateway, "client", None)
        self.minimum = Counter({"discovery": int(client is not None and not client.discovered)})
        self.tickets_read = 0

    def cost(self) -> Requests:
        parts = {k: v for k, v in self.minimum.items() if v}
        return Requests(self.gateway.request_count - self.start, frozen_map(parts))

    def tickets_by_key_prefix(self, prefixes: Sequence[str]) -> list[SentTicket]:
        if not prefixes:
            return []
        return self._sent(self.gateway.tickets(key_prefixes=prefixes))

    def tickets_of_companies(self, companies: Sequence[str], prefixes: Sequence[str]
                             ) -> list[SentTicket]:
        if not companies:
            return []
        return self._sent(self.gateway.tickets_of_companies(companies, prefixes))

    def _sent(self, batch: Batch) -> list[SentTicket]:
        self.tickets_read += len(batch.records) + len(batch.malformed)
        self.minimum["tickets"] = pages(self.tickets_read)  # every read's tickets, paged
        found = []
        for ticket in _well_formed(batch):
            entered = ticket.entered_at
            if entered is None:
                raise ReconcilerError(f"ConnectWise gave no entry date for ticket #{ticket.id} "
                                      f"({ticket.key}); the audit cannot tell when it was sent")
            found.append(SentTicket(ticket.id, ticket.key, entered,
                                    records.summary_digest(ticket.summary),
                                    duplicate_of=ticket.duplicate_of))
        return found

    def additions(self, companies: Sequence[str], catalog_items: Sequence[str]
                  ) -> list[AdditionFact]:
        """The additions of these catalog items on the companies' active agreements."""
        managed = {fold(item) for item in catalog_items}
        batch = self.gateway.agreements_of_identifiers(companies)
        if companies:
            self.minimum["agreements"] += pages(len(batch.records) + len(batch.malformed))
        agreements = {a.id: a for a in _well_formed(batch) if a.active}
        self.minimum["additions"] += len(agreements)
        found = []
        for x in _well_formed(self.gateway.additions(sorted(agreements))):
            if fold(x.product) not in managed:
                continue
            agreement = agreements[x.agreement_id]
            found.append(AdditionFact(
                x.id, agreement.company_identifier, "", x.product, x.quantity or 0.0,
                f"{agreement.type_name} / {agreement.name} (id {agreement.id})",
                instant_of(x.last_updated), x.cancelled_on))
        return found

    def ticket_note(self, ticket_id: int) -> str | None:
        self.minimum["notes"] += 1
        return self.gateway.ticket_text(ticket_id)


def open_connectwise_reads(gateway: Gateway) -> ConnectWiseReads:
    """The audit's ConnectWise reads over `gateway`."""
    return GatewayReads(gateway)


def policies(entries: Sequence[FleetAt]) -> tuple[PolicyAt, ...]:
    """The timeline as the engine's facts: customers by folded company."""
    out = []
    for e in entries:
        if e.fleet is None:
            out.append(PolicyAt(e.commit, e.since, e.author, e.subject, "UTC", "00:00",
                                frozen_map(), e.error))
            continue
        settings = e.fleet.settings
        customers = frozen_map({fold(c.company): c for c in e.fleet.customers})
        out.append(PolicyAt(e.commit, e.since, e.author, e.subject, settings.timezone,
                            settings.send_at, customers, e.error))
    return tuple(out)


# Read for every audited company, in chunks of companies (`Gateway.tickets_of_companies`):
# every billing and send now (`tmrm:billing` starts both), which the latest billing needs
# whatever the range, and every waiver (`reconciler waive`), few by nature.
COMPANY_PREFIXES = (BILLING_KEYS, f"{PREFIX}:{WAIVED}-")


def key_prefixes(companies: Sequence[str], start: date, end: date) -> list[str]:
    """The summaries' key prefixes to read: each company's of the periods that can start
    in [start, end]: labels start with the year (2026-11, 2026-11-24, 2026-W47, a span
    2026-11-25/2026-11-29), an ISO week's with its ISO year, which is the next one only
    for a week starting on 29-31 December."""
    years = [f"{y}-" for y in range(start.year, end.year + 1)]
    if end >= date(end.year, 12, 29):
        years.append(f"{end.year + 1}-W01")
    out = []
    for company in sorted(companies, key=fold):
        for kind in ("hosted_email_security", "email_security"):
            out.extend(f"{PREFIX}:{KIND_TAGS[kind]}:{company}:{y}" for y in years)
    return out


def read_usage(source: UsageSource, customer_ids: set[str], start: date, end: date
               ) -> tuple[list[UsageFact], dict[str, str]]:
    """Chargeable units of the audited customers for every month in range, and why a
    month is unavailable."""
    facts: list[UsageFact] = []
    errors: dict[str, str] = {}
    for month in months_in(start, end):
        label = month.label
        try:
            usage = source.usage(month.start.year, month.start.month)
        except SourceError as exc:
            errors[label] = str(exc)
            continue
        for customer_id in sorted(customer_ids):
            # usage the source cannot resolve or bill without guessing gives no fact: the
            # audit then reports it missing, never a number
            try:
                products = usage.products_of(customer_id)
            except SourceError:
                continue
            for product in products:
                try:
                    lines = usage.lines_for(customer_id, product)
                except SourceError:
                    continue
                origin = ", ".join(ln.origin for ln in lines if ln.origin) or usage.source
                facts.append(UsageFact(customer_id, product, label,
                                       sum(ln.chargeable for ln in lines), origin))
    return facts, errors


class _OnDemand:
    """Notes from ConnectWise and counts from the detection source, when asked."""

    def __init__(self, connectwise: ConnectWiseReads, detections: DetectionSource):
        self.connectwise = connectwise
        self.detections = detections

    def note(self, ticket: SentTicket) -> str | None:
        return self.connectwise.ticket_note(ticket.id)

    def counts(self, kind: str, customer_id: str, period: Period) -> CountsFact:
        try:
            found = self.detections.counts(kind, customer_id, period.start, period.end)
        except SourceError as exc:
            return CountsFact(None, str(exc))
        return CountsFact(frozen_map(found), self.detections.description)


def _changes(root: Path, companies: Mapping[str, object], snapshots: FleetSnapshots
             ) -> tuple[PolicyChange, ...]:
    out = []
    for entry in history(root, snapshots=snapshots).entries:
        for change in entry.changes:
            if fold(change.company) in companies:
                out.append(PolicyChange(entry.commit, entry.date, entry.author,
                                        entry.subject, change.company, change.sentences))
    return tuple(out)


def gather(root: Path, scope: AuditScope, *, connectwise: ConnectWiseReads,
           usage: UsageSource, detections: DetectionSource) -> AuditFacts:
    """Every fact the engine needs for `scope`, read in bulk."""
    notes = []
    with FleetSnapshots(Path(root)) as snapshots:  # one load per version, for both walks
        entries = policy_timeline(Path(root), snapshots=snapshots)
        timeline = policies(entries)
        audited = customers_of(timeline, scope.customers)
        if not timeline:
            notes.append("no commit of the fleet in git: nothing was due")
        unknown = [w for w in scope.customers if not customers_of(timeline, (w,))]
        if timeline and unknown:
            raise ReconcilerError(f"no customer {', '.join(unknown)} in the git history of "
                                  "the fleet (give a file name without .yaml or a company id)")
        changes = _changes(Path(root), audited, snapshots)
    notes += [f"{p.commit[:7]}: {p.error} (the configuration before it stayed in force)"
              for p in timeline if p.error]
    companies = [a.company for a in audited.values()]
    products = {p.catalog_item: p.key for e in entries if e.fleet
                for p in e.fleet.settings.products.values()}  # latest settings win
    catalog = {fold(item): product for item, product in products.items()}
    tickets = [*connectwise.tickets_of_companies(companies, COMPANY_PREFIXES),
               *connectwise.tickets_by_key_prefix(key_prefixes(companies, scope.start,
                                                               scope.end))]
    additions = [replace(a, product=a.product or catalog.get(fold(a.catalog_item), ""))
                 for a in connectwise.additions(companies, sorted(products))]
    usage_facts, usage_errors = read_usage(usage, {a.trend_micro_id for a in audited.values()},
                                           scope.start, scope.end)
    return AuditFacts(timeline, tuple(tickets), tuple(additions), tuple(usage_facts),
                      _OnDemand(connectwise, detections), frozen_map(usage_errors),
                      changes, tuple(notes))
