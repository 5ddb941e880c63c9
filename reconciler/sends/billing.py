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
from dataclasses import dataclass, field, replace
from datetime import date

from reconciler.config.model import Customer, Settings
from reconciler.connectwise.errors import ConnectWiseError
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Addition, Agreement, MalformedRecord
from reconciler.domain.agreements import ResolutionError, resolve_agreement
from reconciler.domain.fold import fold
from reconciler.errors import ReconcilerError
from reconciler.sends.content import BillingLine
from reconciler.sources import MonthUsage, SourceError, UsageSource, format_units


class BillingFailed(ReconcilerError):
    """A customer's billing cannot be sent this period (every reason in one message)."""


@dataclass
class BillingData:
    """Bulk-read ConnectWise records for the customers billed in one run."""

    gateway: Gateway
    agreements: dict[str, list[Agreement]] = field(default_factory=dict)  # company key -> list
    # company key -> the malformed record that makes its agreements untrustworthy
    unreadable: dict[str, MalformedRecord] = field(default_factory=dict)
    # company key -> why the request that asked for its agreements failed
    failed: dict[str, str] = field(default_factory=dict)
    _additions: dict[int, list[Addition]] = field(default_factory=dict)

    @classmethod
    def read(cls, gateway: Gateway, companies: Iterable[str]) -> BillingData:
        """Agreements of every company in one bulk read. A request of it that fails
        fails the billing of the companies it asked for (naming why); the others' is
        read as usual."""
        data = cls(gateway)
        wanted = sorted(set(companies))
        for company in wanted:
            data.agreements[fold(company)] = []
        found = gateway.agreements_of_identifiers(wanted, partial=True)
        for agreement in found.records:
            data.agreements.setdefault(fold(agreement.company_identifier), []).append(agreement)
        for company in wanted:
            problem = found.problem(company, fold=fold)
            if problem is not None:
                data.unreadable[fold(company)] = problem
            failure = found.failure(company, fold=fold)
            if failure is not None:
                data.failed[fold(company)] = str(failure.error)
        return data

    def agreements_of(self, company: str) -> list[Agreement]:
        """The company's agreements, or its MalformedRecord, or BillingFailed when the
        read that asked for them failed."""
        why = self.failed.get(fold(company))
        if why is not None:
            raise BillingFailed(f"reading the agreements of company {company} failed: {why}; "
                                "nothing was billed, the next run tries again")
        problem = self.unreadable.get(fold(company))
        if problem is not None:
            raise problem
        return self.agreements.get(fold(company), [])

    def additions(self, agreement_id: int) -> list[Addition]:
        """Additions of one agreement (read once per run, kept current after PATCHes); a
        malformed one raises its MalformedRecord, a failed read BillingFailed."""
        if agreement_id not in self._additions:
            try:
                found = self.gateway.additions([agreement_id])
            except MalformedRecord:
                raise
            except ConnectWiseError as exc:
                raise BillingFailed(f"reading the additions of agreement {agreement_id} "
                                    f"failed: {exc}; nothing was billed, the next run tries "
                                    "again") from None
            if found.malformed:
                raise found.malformed[0]
            self._additions[agreement_id] = list(found.records)
        return self._additions[agreement_id]

    def quantity_set(self, agreement_id: int, addition_id: int, quantity: float) -> None:
        """Keep the run's view current after a quantity was written."""
        self._additions[agreement_id] = [
            replace(x, quantity=quantity) if x.id == addition_id else x
            for x in self.additions(agreement_id)]


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
    agreements = data.agreements_of(customer.company)
    for product_key in customer.billed_products:
        product = settings.products.get(product_key)
        if product is None:
            problems.append(f"product {product_key!r} is not defined in reconciler.yaml")
            continue
        try:  # the source may refuse to guess (an unresolved name, an unmapped plan...)
            units = usage.chargeable(customer.trend_micro_id, product_key)
            basis = _basis(usage, customer.trend_micro_id, product_key)
        except SourceError as exc:
            problems.append(f"{product_key}: {exc}")
            continue
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
        matches = [a for a in data.additions(agreement.id)
                   if fold(a.product) == fold(product.catalog_item) and a.live_on(today)]
        agreement_text = f"{agreement.type_name} / {agreement.name}"
        if len(matches) != 1:
            what = "no" if not matches else f"{len(matches)}"
            problems.append(f"{what} live {product.catalog_item} addition on agreement "
                            f"{agreement_text} (id {agreement.id}); run `reconciler apply`")
            continue
        addition = matches[0]
        previous = addition.quantity
        lines.append(BillingLine(
            product=product_key,
            product_name=product.name,
            agreement=agreement_text,
            agreement_id=agreement.id,
            addition_id=addition.id,
            units=float(units),
            previous=None if previous is None else float(previous),
            basis=basis,
        ))
    if problems:
        raise BillingFailed("; ".join(problems))
    return lines


def not_billed(customer: Customer, usage_source: UsageSource, year: int, month: int) -> str:
    """What the source reports for this customer that no product maps, so nothing bills it,
    as a note for the billing row (`; not billed (...): 'Deep Security' plan 'Per hour'`);
    "" when there is none or the month cannot be read (the billing says why)."""
    try:
        rows = usage_source.usage(year, month).unmapped_for(customer.trend_micro_id)
    except SourceError:
        return ""
    if not rows:
        return ""
    products = ", ".join(dict.fromkeys(row.product for row in rows))
    return (f"; not billed (no product in reconciler.yaml maps it; see products.<key>.lmpi): "
            f"{products}")


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


def apply_quantities(gateway: Gateway, data: BillingData, lines: Sequence[BillingLine]
                     ) -> int:
    """Write each addition's quantity where it differs (idempotent); returns writes made."""
    written = 0
    for line in lines:
        if line.previous is not None and line.previous == line.units:
            continue
        gateway.set_quantity(line.agreement_id, line.addition_id, line.units)
        written += 1
        data.quantity_set(line.agreement_id, line.addition_id, line.units)
    return written


def describe(lines: Sequence[BillingLine]) -> str:
    """`wfbss 73 (was 70), apex-one 183` for run-due output."""
    parts = []
    for line in lines:
        text = f"{line.product} {format_units(line.units)}"
        if line.previous is not None and line.previous != line.units:
            text += f" (was {format_units(line.previous)})"
        parts.append(text)
    return ", ".join(parts)

