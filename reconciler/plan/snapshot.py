"""The live snapshot: what ConnectWise holds for the targeted customers, read in bulk.

Requests stay close to the minimum:
- companies: `identifier in (...)`, chunked (one request per chunk);
- agreements: `company/id in (...)`, chunked, pageSize 1000;
- additions: one listing per agreement in play (every active agreement of a targeted
  company, since a moved product's old addition may sit on any of them), run with the
  bounded concurrency of `connectwise.concurrency`;
- only for a company that is not found: one prefix query to suggest close identifiers;
- optionally (`scan_unmanaged`), the unmanaged-company scan: active agreements of the
  fleet's agreement types held by companies without a customer file, and their additions.
`fields=` keeps payloads small. Records are kept as ConnectWise returned them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reconciler.config.model import Customer, Settings
from reconciler.plan.cw import (
    Record,
    is_active_agreement,
    is_live_addition,
    key,
    product_identifier,
)
from reconciler.plan.model import canonical_hash

COMPANIES = "/company/companies"
AGREEMENTS = "/finance/agreements"

COMPANY_FIELDS = "id,identifier,name,deletedFlag,_info/lastUpdated"
AGREEMENT_FIELDS = (
    "id,name,type/id,type/name,company/id,company/identifier,agreementStatus,cancelledFlag,"
    "_info/lastUpdated"
)
ADDITION_FIELDS = (
    "id,product/id,product/identifier,billCustomer,cancelledDate,agreementId,_info/lastUpdated"
)
SCAN_AGREEMENT_FIELDS = "id,type/name,company/id,company/identifier,company/name"


def additions_path(agreement_id: int) -> str:
    return f"/finance/agreements/{int(agreement_id)}/additions"


@dataclass(frozen=True)
class UnmanagedCompany:
    """A ConnectWise company with managed additions but no customer file."""

    identifier: str
    name: str
    catalog_items: tuple[str, ...]


@dataclass
class Snapshot:
    """Live records for the targeted customers (plus the unmanaged scan, if run)."""

    companies: dict[str, Record] = field(default_factory=dict)  # key(identifier) -> company
    agreements: dict[int, list[Record]] = field(default_factory=dict)  # company id -> list
    additions: dict[int, list[Record]] = field(default_factory=dict)  # agreement id -> list
    suggestions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # missing -> close
    unmanaged: list[UnmanagedCompany] = field(default_factory=list)
    requests: int = 0

    def company(self, identifier: str) -> Record | None:
        return self.companies.get(key(identifier))

    def fingerprint(self, customers: Iterable[Customer]) -> str:
        """sha256 over every live object read for these customers (not the scan)."""
        data = {}
        for customer in sorted(customers, key=lambda c: c.slug):
            company = self.company(customer.company)
            entry: dict[str, Any] = {"company": company}
            if company is not None and company.get("id") is not None:
                agreements = sorted(
                    self.agreements.get(int(company["id"]), []), key=lambda a: a["id"]
                )
                entry["agreements"] = agreements
                entry["additions"] = {
                    str(a["id"]): sorted(self.additions.get(int(a["id"]), []),
                                         key=lambda x: x["id"])
                    for a in agreements
                    if int(a["id"]) in self.additions
                }
            data[customer.slug] = entry
        return canonical_hash(data)


def _map(client: Any, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """`fn` over items on the client's bounded thread pool (connectwise.concurrency)."""
    return client.map_concurrent(fn, items)


def read(
    client: Any,
    settings: Settings,
    customers: Sequence[Customer],
    *,
    scan_unmanaged: bool = False,
    fleet_companies: Iterable[str] = (),
    today: date | None = None,
    with_additions: bool = True,
) -> Snapshot:
    """Read companies, agreements and (unless `with_additions` is False) the additions of
    the agreements in play for `customers`."""
    start = client.request_count
    snap = Snapshot()
    identifiers = sorted({c.company for c in customers}, key=key)
    if identifiers:
        for company in client.list_in(COMPANIES, "identifier", identifiers, fields=COMPANY_FIELDS):
            ident = key(company.get("identifier"))
            # A live company wins over a deleted one that reuses its identifier.
            if ident not in snap.companies or snap.companies[ident].get("deletedFlag"):
                snap.companies[ident] = company
    missing = [i for i in identifiers if snap.company(i) is None]
    for ident, close in zip(missing, _map(client, lambda i: suggest(client, i), missing),
                            strict=True):
        snap.suggestions[key(ident)] = close

    company_ids = sorted(
        int(c["id"]) for c in snap.companies.values() if not c.get("deletedFlag")
    )
    for cid in company_ids:
        snap.agreements[cid] = []
    if company_ids:
        for agreement in client.list_in(
            AGREEMENTS, "company/id", company_ids, fields=AGREEMENT_FIELDS
        ):
            cid = int((agreement.get("company") or {}).get("id"))
            snap.agreements.setdefault(cid, []).append(agreement)
    in_play = sorted(
        int(a["id"]) for items in snap.agreements.values() for a in items
        if is_active_agreement(a)
    ) if with_additions else []
    for agreement_id, additions in zip(
        in_play, _map(client, lambda a: read_additions(client, a), in_play), strict=True
    ):
        snap.additions[agreement_id] = additions

    if scan_unmanaged:
        known = {key(i) for i in fleet_companies} | {key(c.company) for c in customers}
        snap.unmanaged = scan_unmanaged_companies(
            client, settings, known, today or date.today()
        )
    snap.requests = client.request_count - start
    return snap


def read_additions(client: Any, agreement_id: int) -> list[Record]:
    return list(client.list(additions_path(agreement_id), fields=ADDITION_FIELDS))


def suggest(client: Any, identifier: str, limit: int = 5) -> tuple[str, ...]:
    """Closest existing identifiers to a missing one, from one bounded prefix query."""
    from reconciler.connectwise import conditions as c

    prefix = "".join(ch for ch in identifier[:2] if ch.isalnum())
    if not prefix:
        return ()
    # One page at most (1000 records): suggestions, not an inventory.
    found = client.get(
        COMPANIES,
        {
            "conditions": c.and_(c.like("identifier", f"{prefix}*"), c.eq("deletedFlag", False)),
            "fields": "identifier",
            "pageSize": 1000,
            "page": 1,
        },
    )
    if not isinstance(found, list):
        return ()
    names = [str(r.get("identifier")) for r in found if r.get("identifier")]
    by_key = {key(n): n for n in names}
    close = difflib.get_close_matches(key(identifier), list(by_key), n=limit, cutoff=0.5)
    return tuple(by_key[k] for k in close)


def scan_unmanaged_companies(
    client: Any, settings: Settings, known: set[str], today: date
) -> list[UnmanagedCompany]:
    """Companies without a customer file that hold live managed additions.

    There is no fleet-wide additions endpoint, so this reads the active agreements of
    the default agreement types (where products land unless mapped elsewhere) and lists
    the additions of those held by companies without a file: its cost grows with those
    agreements, which is why it only runs on full-fleet plans.
    """
    from reconciler.connectwise import conditions as c

    agreements = [
        a
        for a in client.list(
            AGREEMENTS,
            conditions=c.and_(
                c.in_("type/name", list(settings.default_agreement_types)),
                c.eq("agreementStatus", "Active"),
                c.eq("cancelledFlag", False),
            ),
            fields=SCAN_AGREEMENT_FIELDS,
        )
        if key((a.get("company") or {}).get("identifier")) not in known
    ]
    managed = {key(i) for i in settings.catalog_items()}
    ids = [int(a["id"]) for a in agreements]
    found: dict[str, tuple[str, set[str]]] = {}
    for agreement, additions in zip(
        agreements, _map(client, lambda a: read_additions(client, a), ids), strict=True
    ):
        items = {
            product_identifier(x)
            for x in additions
            if key(product_identifier(x)) in managed and is_live_addition(x, today)
        }
        if items:
            company = agreement.get("company") or {}
            ident = str(company.get("identifier") or "")
            entry = found.setdefault(ident, (str(company.get("name") or ""), set()))
            entry[1].update(items)
    return [
        UnmanagedCompany(ident, name, tuple(sorted(items)))
        for ident, (name, items) in sorted(found.items())
    ]
