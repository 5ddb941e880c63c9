"""Desired quantities: what each company was last billed, read back from ConnectWise.

A managed addition's desired quantity is the latest billed units of its product, 0
before any billing (`domain.billed`). For the companies planned, one chunked bulk read
finds every billing ticket (`Gateway.tickets_of_companies`); the latest one's summary
digest is compared with the digest of the record the live additions would make (their
quantities, per product). When they agree, nothing more is read: the additions hold what
was billed. Only on a mismatch (a hand edit, a stale write, a new addition after a move,
a product added since) or for a ticket without a tag is its note read, one request per
such company, to learn the units it billed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from reconciler.config.model import Settings
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Addition, Agreement, Company
from reconciler.domain import records
from reconciler.domain.billed import (
    BILLING_KEYS,
    Billing,
    billed_units,
    latest_billing,
    read_record,
)
from reconciler.domain.fold import fold
from reconciler.domain.keys import parse_key
from reconciler.errors import ReconcilerError


class ReadFailed(ReconcilerError):
    """A company's billed quantities could not be read."""


@dataclass(frozen=True)
class BilledQuantities:
    """One company's latest billing and the units it recorded per product key."""

    billing: Billing | None  # None: never billed
    units: Mapping[str, float] | None  # None: the ticket carries no readable record

    def billed(self, product: str) -> float | None:
        """The units the latest billing recorded for the product: what its addition must
        hold. None when that billing did not bill it, there was none, or its record is
        unknown: an existing addition's quantity is then not judged (nothing billed it;
        a quantity set before the tool billed stays until the first billing does)."""
        if self.units is None or product not in self.units:
            return None
        return float(self.units[product])

    def start(self, product: str) -> float | None:
        """The quantity a new addition of the product starts with: its billed units, 0
        when the latest billing did not bill it or before any billing; None when the
        latest billing's record is unknown."""
        if self.billing is None:
            return 0.0
        if self.units is None:
            return None
        return float(self.units.get(product, 0.0))

    def source(self, product: str) -> str:
        """Where a product's desired quantity comes from, for plans."""
        if self.billing is None:
            return "never billed"
        if self.units is not None and product not in self.units:
            return f"not in the latest billing, {self.billing.describe()}"
        return f"billed on {self.billing.describe()}"


def live_units(settings: Settings, agreements: Sequence[Agreement],
               additions: Mapping[int, Sequence[Addition]], today: date
               ) -> dict[str, float] | None:
    """Quantities of the live managed additions per product key, or None when a product
    has several (no single quantity to compare)."""
    by_item = {fold(p.catalog_item): key for key, p in settings.products.items()}
    found: dict[str, list[float]] = {}
    for agreement in agreements:
        if not agreement.active:
            continue
        for addition in additions.get(agreement.id, ()):
            product = by_item.get(fold(addition.product))
            if product is not None and addition.live_on(today):
                found.setdefault(product, []).append(float(addition.quantity or 0))
    if any(len(q) > 1 for q in found.values()):
        return None
    return {product: q[0] for product, q in found.items()}


def read_quantities(gateway: Gateway, settings: Settings, companies: Iterable[Company],
                    agreements: Mapping[int, Sequence[Agreement]],
                    additions: Mapping[int, Sequence[Addition]], today: date
                    ) -> tuple[dict[str, BilledQuantities], dict[str, ReconcilerError]]:
    """(folded identifier -> its billed quantities, folded identifier -> why they cannot
    be known: a malformed ticket, a note that could not be read), for live companies."""
    live = list(companies)
    tz = ZoneInfo(settings.timezone)
    found = gateway.tickets_of_companies([c.identifier for c in live], [BILLING_KEYS])
    problems: dict[str, ReconcilerError] = {}
    for problem in found.malformed:
        owner = str(problem.owner) if problem.owner is not None else None
        parsed = parse_key(owner) if owner else None
        owner = parsed.company if parsed is not None else owner
        for company in live:
            if owner is None or fold(owner) == fold(company.identifier):
                problems.setdefault(fold(company.identifier), problem)

    latest: dict[str, Billing | None] = {}
    to_read: list[tuple[str, Billing, dict | None]] = []
    for company in live:
        ident = fold(company.identifier)
        if ident in problems:
            continue
        billing = latest_billing(found.records, company.identifier, tz)
        latest[ident] = billing
        if billing is None:
            continue
        units = live_units(settings, agreements.get(company.id, ()), additions, today)
        expected = (None if units is None
                    else records.billing_record(billing.ticket.key, units))
        to_read.append((ident, billing, expected))

    def resolve(item: tuple[str, Billing, dict | None]
                ) -> records.Record | ReconcilerError | None:
        _, billing, expected = item
        try:
            return read_record(billing.ticket, expected, gateway.ticket_text)
        except ReconcilerError as exc:  # this company's note only: the others go on
            return exc

    resolved = gateway.parallel(resolve, to_read)
    out = {ident: BilledQuantities(None, None) for ident, b in latest.items() if b is None}
    for (ident, billing, _), record in zip(to_read, resolved, strict=True):
        if isinstance(record, ReconcilerError):
            problems[ident] = ReadFailed(
                f"reading the note of its latest billing {billing.describe()} failed: "
                f"{record}")
            continue
        out[ident] = BilledQuantities(billing, billed_units(record))
    return out, problems
