"""The live snapshot: what ConnectWise holds for the targeted customers, read in bulk.

Requests stay close to the minimum (the gateway chunks and parallelises):
- companies: by identifier, chunked `in (...)` lists;
- agreements: by company id, chunked, pageSize 1000;
- additions: one listing per agreement in play (every active agreement of a targeted
  company, since a moved product's old addition may sit on any of them), run with the
  bounded concurrency of `connectwise.concurrency`;
- with `with_billing` (plan): the billing tickets of the live companies, chunked like the
  companies, and a ticket's note only where its digest does not match the additions
  (`quantities`): what each managed addition's quantity should be;
- only for a company that is not found: one prefix query to suggest close identifiers;
- optionally (`scan_unmanaged`), the unmanaged-company scan: active agreements of the
  fleet's agreement types held by companies without a customer file, and their additions.
A malformed record makes its company `unreadable` (that customer gets an error; nothing
is planned for it), never absent.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reconciler.config.model import Customer, Settings
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Addition, Agreement, Company, MalformedRecord
from reconciler.domain.fold import fold
from reconciler.plan.model import canonical_hash
from reconciler.plan.quantities import BilledQuantities, read_quantities


@dataclass(frozen=True)
class UnmanagedCompany:
    """A ConnectWise company with managed additions but no customer file."""

    identifier: str
    name: str
    catalog_items: tuple[str, ...]


@dataclass
class Snapshot:
    """Live records for the targeted customers (plus the unmanaged scan, if run)."""

    companies: dict[str, Company] = field(default_factory=dict)  # fold(identifier) -> company
    agreements: dict[int, list[Agreement]] = field(default_factory=dict)  # company id -> list
    additions: dict[int, list[Addition]] = field(default_factory=dict)  # agreement id -> list
    suggestions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # missing -> close
    # fold(identifier) -> why that company's records cannot be trusted (a malformed record)
    unreadable: dict[str, str] = field(default_factory=dict)
    unmanaged: list[UnmanagedCompany] = field(default_factory=list)
    # fold(identifier) -> what it was last billed (read with `with_billing` only)
    quantities: dict[str, BilledQuantities] = field(default_factory=dict)
    requests: int = 0

    def company(self, identifier: str) -> Company | None:
        return self.companies.get(fold(identifier))

    def problem(self, identifier: str) -> str | None:
        """Why the company's ConnectWise records cannot be planned on, if they cannot."""
        return self.unreadable.get(fold(identifier))

    def fingerprint(self, customers: Iterable[Customer]) -> str:
        """sha256 over every live object read for these customers (not the scan)."""
        data = {}
        for customer in sorted(customers, key=lambda c: c.slug):
            company = self.company(customer.company)
            entry: dict[str, Any] = {
                "company": dataclasses.asdict(company) if company else None,
                "unreadable": self.problem(customer.company),
            }
            if company is not None:
                agreements = sorted(self.agreements.get(company.id, []), key=lambda a: a.id)
                entry["agreements"] = [dataclasses.asdict(a) for a in agreements]
                entry["additions"] = {
                    str(a.id): [dataclasses.asdict(x)
                                for x in sorted(self.additions[a.id], key=lambda x: x.id)]
                    for a in agreements
                    if a.id in self.additions
                }
            billed = self.quantities.get(fold(customer.company))
            if billed is not None and billed.billing is not None:
                ticket = billed.billing.ticket  # a billing since the plan: stale
                entry["billed"] = [ticket.id, ticket.key, ticket.summary]
            data[customer.slug] = entry
        return canonical_hash(data)


def read(
    gateway: Gateway,
    settings: Settings,
    customers: Sequence[Customer],
    *,
    scan_unmanaged: bool = False,
    fleet_companies: Iterable[str] = (),
    today: date | None = None,
    with_additions: bool = True,
    with_billing: bool = False,
) -> Snapshot:
    """Read companies, agreements and (unless `with_additions` is False) the additions of
    the agreements in play for `customers`; with `with_billing`, what each was last
    billed (the desired quantities)."""
    start = gateway.request_count
    snap = Snapshot()
    identifiers = sorted({c.company for c in customers}, key=fold)
    _read_companies(gateway, snap, identifiers)
    missing = [i for i in identifiers if snap.company(i) is None and not snap.problem(i)]
    for ident, close in zip(missing, gateway.parallel(lambda i: _suggest(gateway, i), missing),
                            strict=True):
        if isinstance(close, MalformedRecord):
            snap.unreadable[fold(ident)] = str(close)
        else:
            snap.suggestions[fold(ident)] = close

    live = sorted((c for c in snap.companies.values() if not c.deleted), key=lambda c: c.id)
    for company in live:
        snap.agreements[company.id] = []
    found = gateway.agreements_of_companies([c.id for c in live])
    for agreement in found.records:
        snap.agreements.setdefault(agreement.company_id, []).append(agreement)
    for company in live:
        problem = found.problem(company.id)
        if problem is not None:
            snap.unreadable[fold(company.identifier)] = str(problem)

    if with_additions:
        owner = {a.id: c for c in live for a in snap.agreements[c.id] if a.active}
        in_play = sorted(owner)
        additions = gateway.additions(in_play)
        for agreement_id in in_play:
            snap.additions[agreement_id] = []
        for addition in additions.records:
            snap.additions.setdefault(addition.agreement_id, []).append(addition)
        for problem in additions.malformed:
            company = owner.get(problem.owner) if problem.owner is not None else None
            for c in [company] if company is not None else live:
                snap.unreadable.setdefault(fold(c.identifier), str(problem))

    if with_additions and with_billing:
        readable = [c for c in live if not snap.problem(c.identifier)]
        snap.quantities, problems = read_quantities(
            gateway, settings, readable, snap.agreements, snap.additions,
            today or date.today())
        for ident, problem in problems.items():
            snap.unreadable.setdefault(ident, str(problem))

    if scan_unmanaged:
        known = {fold(i) for i in fleet_companies} | {fold(c.company) for c in customers}
        snap.unmanaged = scan_unmanaged_companies(
            gateway, settings, known, today or date.today()
        )
    snap.requests = gateway.request_count - start
    return snap


def _read_companies(gateway: Gateway, snap: Snapshot, identifiers: Sequence[str]) -> None:
    """Companies by identifier. A malformed record is its identifier's problem; one whose
    identifier is unreadable is the problem of every identifier not otherwise found."""
    found = gateway.companies(identifiers)
    for company in found.records:
        ident = fold(company.identifier)
        # A live company wins over a deleted one that reuses its identifier.
        if ident not in snap.companies or snap.companies[ident].deleted:
            snap.companies[ident] = company
    for ident in map(fold, identifiers):
        own = [m for m in found.malformed if m.owner is not None and fold(str(m.owner)) == ident]
        unknown = [m for m in found.malformed if m.owner is None]
        if own or (unknown and ident not in snap.companies):
            snap.unreadable[ident] = str((own or unknown)[0])
            snap.companies.pop(ident, None)


def _suggest(gateway: Gateway, identifier: str, limit: int = 5
             ) -> tuple[str, ...] | MalformedRecord:
    """Closest existing identifiers to a missing one, from one bounded prefix query (or
    the malformed record that makes the answer untrustworthy)."""
    prefix = "".join(ch for ch in identifier[:2] if ch.isalnum())
    if not prefix:
        return ()
    try:
        names = gateway.company_identifiers_like(prefix)
    except MalformedRecord as exc:
        return exc
    by_key = {fold(n): n for n in names}
    close = difflib.get_close_matches(fold(identifier), list(by_key), n=limit, cutoff=0.5)
    return tuple(by_key[k] for k in close)


def scan_unmanaged_companies(
    gateway: Gateway, settings: Settings, known: set[str], today: date
) -> list[UnmanagedCompany]:
    """Companies without a customer file that hold live managed additions.

    There is no fleet-wide additions endpoint, so this reads the active agreements of
    the default agreement types (where products land unless mapped elsewhere) and lists
    the additions of those held by companies without a file: its cost grows with those
    agreements, which is why it only runs on full-fleet plans. A malformed record of a
    company without a file stops the plan (its warning would be a guess).
    """
    found = gateway.active_agreements_of_types(settings.default_agreement_types)
    for problem in found.malformed:
        if problem.owner is None or fold(str(problem.owner)) not in known:
            raise problem
    agreements = [a for a in found.records if fold(a.company_identifier) not in known]
    additions = gateway.additions([a.id for a in agreements])
    if additions.malformed:
        raise additions.malformed[0]
    managed = {fold(i) for i in settings.catalog_items()}
    by_agreement: dict[int, list[Addition]] = {}
    for addition in additions.records:
        by_agreement.setdefault(addition.agreement_id, []).append(addition)
    found_items: dict[str, tuple[str, set[str]]] = {}
    for agreement in agreements:
        items = {
            x.product
            for x in by_agreement.get(agreement.id, [])
            if fold(x.product) in managed and x.live_on(today)
        }
        if items:
            entry = found_items.setdefault(agreement.company_identifier,
                                           (agreement.company_name, set()))
            entry[1].update(items)
    return [
        UnmanagedCompany(ident, name, tuple(sorted(items)))
        for ident, (name, items) in sorted(found_items.items())
    ]
