"""Billing: chargeable units become the quantities of the managed additions.

For one customer and month: for each billed product, the chargeable units from the usage
source (missing data fails the customer's billing: never billed as zero), the managed
addition on the product's agreement (resolved as `plan` resolves it), and the guardrail.
Nothing is PATCHed or sent for a customer unless every product is ready.

Guardrail: once an addition has been billed (the customer has an earlier billing ticket
and the addition's quantity is above zero), a new quantity of zero, or one that moves by
more than `safety.max_quantity_change_percent` against the current quantity, is held
until approved (`--approve-quantities CUSTOMER` or `safety.quantity_exceptions`). An
addition's first billing is never held.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reconciler.config.model import Customer, Settings
from reconciler.connectwise import conditions as cond
from reconciler.errors import ReconcilerError
from reconciler.plan.cw import is_live_addition, key, product_identifier
from reconciler.plan.resolve import ResolutionError, resolve_agreement
from reconciler.sends.content import BillingLine
from reconciler.sources import MonthUsage, SourceError, UsageSource, format_units

AGREEMENTS = "/finance/agreements"
AGREEMENT_FIELDS = "id,name,type/name,company/identifier,agreementStatus,cancelledFlag"
ADDITION_FIELDS = "id,product/identifier,quantity,billCustomer,cancelledDate,agreementId"


class BillingFailed(ReconcilerError):
    """A customer's billing cannot be sent this period (every reason in one message)."""


def additions_path(agreement_id: int) -> str:
    return f"{AGREEMENTS}/{int(agreement_id)}/additions"


@dataclass
class BillingData:
    """Bulk-read ConnectWise records for the customers billed in one run."""

    client: Any
    agreements: dict[str, list[dict]] = field(default_factory=dict)  # company key -> list
    _additions: dict[int, list[dict]] = field(default_factory=dict)

    @classmethod
    def read(cls, client: Any, companies: Iterable[str]) -> BillingData:
        """Agreements of every company in one chunked `company/identifier in (...)`."""
        data = cls(client)
        wanted = sorted(set(companies))
        for company in wanted:
            data.agreements[key(company)] = []
        for agreement in client.list_in(AGREEMENTS, "company/identifier", wanted,
                                        fields=AGREEMENT_FIELDS):
            ident = key((agreement.get("company") or {}).get("identifier"))
            data.agreements.setdefault(ident, []).append(agreement)
        return data

    def additions(self, agreement_id: int) -> list[dict]:
        """Additions of one agreement (read once per run, kept current after PATCHes)."""
        if agreement_id not in self._additions:
            self._additions[agreement_id] = self.client.list(
                additions_path(agreement_id), fields=ADDITION_FIELDS)
        return self._additions[agreement_id]


def _units(value: float) -> int | float:
    """Quantities as ConnectWise shows them: whole numbers stay integers."""
    return int(value) if float(value).is_integer() else value


def _basis(usage: MonthUsage, customer_id: str, product: str) -> str:
    kinds = {"used" if line.used is not None else "provisioned"
             for line in usage.lines_for(customer_id, product)}
    return "/".join(sorted(kinds))


def prepare(customer: Customer, settings: Settings, usage_source: UsageSource,
            data: BillingData, year: int, month: int, today: date) -> list[BillingLine]:
    """The billing lines of one customer and month, or BillingFailed with every reason."""
    label = f"{year}-{month:02d}"
    try:
        usage = usage_source.usage(year, month)
    except SourceError as exc:
        raise BillingFailed(f"no usage for {label}: {exc}") from None
    problems: list[str] = []
    lines: list[BillingLine] = []
    agreements = data.agreements.get(key(customer.company), [])
    for product_key in customer.billed_products:
        product = settings.products.get(product_key)
        if product is None:
            problems.append(f"product {product_key!r} is not defined in reconciler.yaml")
            continue
        units = usage.chargeable(customer.trend_micro_id, product_key)
        if units is None:
            problems.append(f"no usage reported for {product_key} in {label} "
                            f"(source: {usage.source})")
            continue
        ref = customer.agreement_for(product_key)
        try:
            agreement = resolve_agreement(ref, agreements, settings.default_agreement_types)
        except ResolutionError as exc:
            problems.append(f"{product_key} ({ref}): {exc.message}")
            continue
        matches = [a for a in data.additions(int(agreement["id"]))
                   if key(product_identifier(a)) == key(product.catalog_item)
                   and is_live_addition(a, today)]
        agreement_type = (agreement.get("type") or {}).get("name", "")
        agreement_text = f"{agreement_type} / {agreement.get('name')}"
        if len(matches) != 1:
            what = "no" if not matches else f"{len(matches)}"
            problems.append(f"{what} live {product.catalog_item} addition on agreement "
                            f"{agreement_text} (id {agreement['id']}); run `reconciler apply`")
            continue
        addition = matches[0]
        previous = addition.get("quantity")
        lines.append(BillingLine(
            product=product_key,
            product_name=product.name,
            agreement=agreement_text,
            agreement_id=int(agreement["id"]),
            addition_id=int(addition["id"]),
            units=float(units),
            previous=None if previous is None else float(previous),
            basis=_basis(usage, customer.trend_micro_id, product_key),
        ))
    if problems:
        raise BillingFailed("; ".join(problems))
    return lines


def guardrail(lines: Sequence[BillingLine], billed_before: bool,
              max_change_percent: float) -> list[str]:
    """The lines the guardrail holds, described as `product old -> new (+N%)`."""
    if not billed_before:
        return []  # first billing: nothing to compare against
    held = []
    for line in lines:
        old = line.previous or 0.0
        if old <= 0:
            continue  # this addition was never billed a positive quantity
        if line.units == 0:
            held.append(f"{line.product} {format_units(old)} -> 0 (would fall to zero)")
            continue
        change = (line.units - old) / old * 100
        if abs(change) > max_change_percent:
            held.append(f"{line.product} {format_units(old)} -> {format_units(line.units)} "
                        f"({change:+.0f}%, limit {max_change_percent:g}%)")
    return held


def apply_quantities(client: Any, data: BillingData, lines: Sequence[BillingLine]) -> int:
    """PATCH each addition whose quantity differs (idempotent); returns PATCHes made."""
    patched = 0
    for line in lines:
        if line.previous is not None and line.previous == line.units:
            continue
        client.patch(f"{additions_path(line.agreement_id)}/{line.addition_id}",
                     [{"op": "replace", "path": "quantity", "value": _units(line.units)}])
        patched += 1
        for addition in data.additions(line.agreement_id):  # keep the run's view current
            if int(addition["id"]) == line.addition_id:
                addition["quantity"] = _units(line.units)
    return patched


def describe(lines: Sequence[BillingLine]) -> str:
    """`wfbss 73 (was 70), apex-one 183` for run-due output."""
    parts = []
    for line in lines:
        text = f"{line.product} {format_units(line.units)}"
        if line.previous is not None and line.previous != line.units:
            text += f" (was {format_units(line.previous)})"
        parts.append(text)
    return ", ".join(parts)


def has_billing_key(client: Any, company: str) -> bool:
    """Whether any billing ticket (scheduled or send-now) exists for the company."""
    condition = cond.like("externalXRef", f"tmrm:billing%:{company}:%")
    first = next(iter(client.iter_list("/service/tickets", conditions=condition,
                                       fields="id", page_size=1)), None)
    return first is not None
