"""What a change set does to billing: per changed customer and product, the units and the
amount ConnectWise bills each month now and after the change is applied.

Only products whose billing the change moves are listed: a product newly billed
(`added`), no longer billed by a customer that stays managed (`removed`: apply cancels its
additions), billed on another agreement (`moved`: apply cancels the old addition and
bills a new one), or left behind by a customer disabled or removed (`left as is`: nothing
in ConnectWise is touched, so its additions go on billing their quantity, no longer
updated). A change of billing day or of summaries changes no amount and is not listed.

Now is what ConnectWise holds: the live additions of the product's catalog item on the
company's active agreements, quantity x unit price each. After apply, the product is one
addition on the agreement the head configuration resolves to: the addition already there
(its unit price), or a new one priced at the catalog item's price (that ConnectWise copies
the catalog price onto a new addition is unverified: the line says "catalog price"). Its
units are what apply gives it (DESIGN: quantity is desired state): the latest billed
units (contract 1's record of the latest billing); an existing addition no billing
recorded keeps its quantity; a new one starts at 0 when the company was never billed or
its latest billing did not bill the product, and a newly billed product's units are
unknown until a billing bills it. Where a quantity or a price is unknown the line says
so and its amount is unknown: it is left out of the totals, which say how many are.
Amounts are per month in the site's currency (quantity x unit price: an addition bills
every cycle of its agreement, monthly for the agreements this tool bills on).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from reconciler.config.model import Customer, Fleet, Settings
from reconciler.connectwise.records import Addition, Agreement
from reconciler.domain.agreements import ResolutionError, resolve_agreement
from reconciler.domain.fold import fold
from reconciler.sources import format_units

ImpactKind = Literal["added", "removed", "moved", "left as is"]


@dataclass(frozen=True)
class LiveBilling:
    """What ConnectWise holds for one company, read for the impact."""

    agreements: tuple[Agreement, ...] = ()  # every agreement of the company
    additions: tuple[Addition, ...] = ()  # the additions of its active agreements
    # fold(catalog item) -> its catalog price; None: the catalog could not be read
    prices: Mapping[str, float | None] | None = None
    billed: Mapping[str, float] | None = None  # product -> latest billed units (None: unknown)
    billed_from: str = ""  # where `billed` comes from ("billed on ticket #12 (...)")
    never_billed: bool = False  # no billing ticket at all: new additions start at 0
    problem: str | None = None  # why its records cannot be trusted (a malformed record)


@dataclass(frozen=True)
class Amount:
    """Units and the monthly amount they bill (None: unknown)."""

    units: float | None
    amount: float | None

    def to_json(self) -> dict:
        return {"units": self.units, "amount": _round(self.amount)}


NOTHING = Amount(0, 0)


@dataclass(frozen=True)
class ImpactLine:
    """One product of one customer whose billing the change moves."""

    product: str
    kind: ImpactKind
    now: Amount
    after: Amount
    note: str  # where the numbers come from, or why one is unknown

    @property
    def delta(self) -> float | None:
        if self.now.amount is None or self.after.amount is None:
            return None
        return self.after.amount - self.now.amount

    def to_json(self) -> dict:
        return {"product": self.product, "change": self.kind, "now": self.now.to_json(),
                "after": self.after.to_json(), "delta": _round(self.delta), "note": self.note}


@dataclass(frozen=True)
class CustomerImpact:
    slug: str
    name: str
    company: str
    lines: tuple[ImpactLine, ...]

    @property
    def delta(self) -> float:
        """The sum of the known deltas."""
        return sum(line.delta for line in self.lines if line.delta is not None)

    @property
    def unknown(self) -> int:
        return sum(1 for line in self.lines if line.delta is None)

    def to_json(self) -> dict:
        return {"customer": self.slug, "name": self.name, "company": self.company,
                "delta": _round(self.delta), "unknown": self.unknown,
                "lines": [line.to_json() for line in self.lines]}


@dataclass(frozen=True)
class BillingImpact:
    customers: tuple[CustomerImpact, ...]
    requests: int = 0  # what reading ConnectWise for it cost

    @property
    def delta(self) -> float:
        return sum(c.delta for c in self.customers)

    @property
    def unknown(self) -> int:
        return sum(c.unknown for c in self.customers)

    @property
    def lines(self) -> int:
        return sum(len(c.lines) for c in self.customers)

    def headline(self) -> str:
        """`Billing impact: -33.00 a month (2 customers, 3 products; 1 unknown amount).`"""
        if not self.customers:
            return "Billing impact: none (no product's billing changes)."
        unknown = (f"; {self.unknown} unknown amount{'' if self.unknown == 1 else 's'} not "
                   "counted" if self.unknown else "")
        n = len(self.customers)
        return (f"Billing impact: {money(self.delta)} a month ({n} customer"
                f"{'' if n == 1 else 's'}, {self.lines} product"
                f"{'' if self.lines == 1 else 's'}{unknown}).")

    def to_json(self) -> dict:
        return {"delta_per_month": _round(self.delta), "unknown": self.unknown,
                "requests": self.requests,
                "customers": [c.to_json() for c in self.customers]}


def money(value: float) -> str:
    """`+237.50`, `-33.00`, `0.00`."""
    value = round(value, 2) + 0.0  # no -0.00
    return f"{value:+,.2f}" if value else "0.00"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2) + 0.0


def _billed(customer: Customer | None) -> dict[str, object]:
    """Product -> its agreement reference, for the products a customer bills."""
    if customer is None or not customer.enabled:
        return {}
    return {p: customer.agreement_for(p) for p in customer.billed_products}


def _catalog_item(product: str, *settings: Settings | None) -> str | None:
    for s in settings:
        if s is not None and product in s.products:
            return s.products[product].catalog_item
    return None


def _sum(additions: Iterable[Addition]) -> Amount:
    """What live additions bill a month; unknown when a quantity or a price is."""
    units = amount = 0.0
    for x in additions:
        if x.quantity is None:
            return Amount(None, None)
        units += x.quantity
        if amount is not None:
            amount = None if x.unit_price is None else amount + x.quantity * x.unit_price
    return Amount(units, amount)


class _Customer:
    """One customer's live billing, product by product."""

    def __init__(self, live: LiveBilling, settings: Settings, today: date):
        self.live = live
        self.settings = settings
        self.today = today

    def additions(self, item: str, agreement_id: int | None = None) -> list[Addition]:
        return [x for x in self.live.additions
                if fold(x.product) == fold(item) and x.live_on(self.today)
                and (agreement_id is None or x.agreement_id == agreement_id)]

    def after(self, product: str, item: str, ref, kind: ImpactKind) -> tuple[Amount, str]:
        """What the product bills once applied on the agreement `ref` resolves to."""
        try:
            target = resolve_agreement(ref, self.live.agreements,
                                       self.settings.default_agreement_types)
        except ResolutionError as exc:
            return Amount(None, None), f"its agreement is not resolved ({exc.message})"
        there = sorted(self.additions(item, target.id), key=lambda x: x.id)
        billed = self.live.billed
        units: float | None
        if billed is not None and product in billed:
            units, whence = billed[product], f"latest billed units, {self.live.billed_from}"
        elif there:  # apply leaves a quantity no billing recorded as it is
            units = there[0].quantity
            whence = f"addition #{there[0].id}'s quantity, which no billing recorded"
        elif kind == "added":
            units, whence = None, "it starts at 0; units unknown until a billing bills it"
        elif billed is not None or self.live.never_billed:
            units, whence = 0.0, ("a new addition starts at 0 until a billing bills it ("
                                  + (self.live.billed_from or "never billed") + ")")
        else:
            units, whence = None, "its latest billing's record is unknown"
        if there:
            price = there[0].unit_price
            priced = (f"addition #{there[0].id}'s unit price" if price is not None
                      else f"addition #{there[0].id} has no unit price")
        elif self.live.prices is None:
            price, priced = None, "the catalog's prices could not be read"
        else:
            price = self.live.prices.get(fold(item))
            priced = ("catalog price" if price is not None
                      else f"catalog item {item} has no price")
        where = f"on {target.type_name} / {target.name} (id {target.id})"
        amount = None if units is None or price is None else units * price
        return Amount(units, amount), f"{where}: {whence}; {priced}"


def _line(product: str, kind: ImpactKind, now: Amount, after: Amount, note: str) -> ImpactLine:
    def show(a: Amount) -> str:
        units = "?" if a.units is None else format_units(a.units)
        amount = "?" if a.amount is None else f"{a.amount:,.2f}"
        return f"{units} units, {amount}"

    return ImpactLine(product, kind, now, after, f"{show(now)} -> {show(after)}; {note}")


def customer_impact(base: Customer | None, head: Customer | None, live: LiveBilling | None,
                    settings: tuple[Settings | None, Settings], today: date
                    ) -> CustomerImpact | None:
    """The products whose billing changes from `base` to `head` (None: none)."""
    shown = head or base
    if shown is None:
        return None
    before, after = _billed(base), _billed(head)
    lines = []
    for product in sorted(set(before) | set(after)):
        if before.get(product) == after.get(product):
            continue
        if product in before and product in after:
            kind: ImpactKind = "moved"
        elif product in after:
            kind = "added"
        else:
            kind = "removed" if head is not None and head.enabled else "left as is"
        item = _catalog_item(product, settings[1], settings[0])
        if live is None or live.problem or item is None:
            why = (live.problem if live and live.problem else
                   "ConnectWise was not read" if live is None else
                   f"product {product} has no catalog item")
            lines.append(ImpactLine(product, kind, Amount(None, None), Amount(None, None),
                                    f"unknown: {why}"))
            continue
        reader = _Customer(live, settings[1], today)
        now = _sum(reader.additions(item))
        if kind == "removed":
            lines.append(_line(product, kind, now, NOTHING, "its additions are cancelled"))
        elif kind == "left as is":
            lines.append(_line(product, kind, now, now,
                               "no longer managed: its additions go on billing as they are, "
                               "their quantity no longer updated"))
        else:
            then, note = reader.after(product, item, after[product], kind)
            lines.append(_line(product, kind, now, then, note))
    if not lines:
        return None
    return CustomerImpact(shown.slug, shown.name, shown.company, tuple(lines))


def billing_impact(base: Fleet | None, head: Fleet, slugs: Iterable[str],
                   live: Mapping[str, LiveBilling], today: date, *, requests: int = 0
                   ) -> BillingImpact:
    """The impact of the change from `base` to `head` on the customers `slugs`; `live`
    by folded company identifier."""
    before = {c.slug: c for c in base.customers} if base else {}
    after = {c.slug: c for c in head.customers}
    found = []
    for slug in sorted(set(slugs)):
        b, h = before.get(slug), after.get(slug)
        shown = h or b
        if shown is None:
            continue
        impact = customer_impact(b, h, live.get(fold(shown.company)),
                                 (base.settings if base else None, head.settings), today)
        if impact is not None:
            found.append(impact)
    return BillingImpact(tuple(found), requests)
