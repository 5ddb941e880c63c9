"""Diff desired additions against the live snapshot into a Plan.

Per enabled customer: the company must exist and not be deleted, every billed product's
agreement must resolve, then managed additions are created (with their desired
quantity), updated (billCustomer, a pending cancelledDate, a quantity that is not the
latest billed one) or cancelled (moved, no longer billed, duplicate). Additions of
catalog items outside `products` are never looked at. A customer that cannot be planned
gets errors and no changes; every other customer is planned as usual.

Quantities (`plan.quantities`): an addition must hold the units the latest billing
recorded for its product; a new addition starts with them, or 0 when that billing did not
bill the product or before any billing. An addition the latest billing did not bill is
not judged (a quantity set before the tool billed stays until its first billing). When
the latest billing carries no readable record (sent before records were written),
quantities are not diffed (a warning says so) and a moved product's new addition takes
the quantity of the addition it replaces: ConnectWise's own state, not a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from reconciler.config.model import Customer, RejectedCustomer, Settings
from reconciler.connectwise.records import Addition, Agreement
from reconciler.domain.fold import fold
from reconciler.plan.desired import (
    DESIRED_BILL_CUSTOMER,
    DesiredAddition,
    agreement_info,
    desired_additions,
    quantity_value,
)
from reconciler.plan.model import (
    AgreementInfo,
    Change,
    ChangeKind,
    CustomerError,
    CustomerStatus,
    Fingerprint,
    Plan,
    PlanWarning,
)
from reconciler.plan.quantities import BilledQuantities
from reconciler.plan.snapshot import Snapshot


@dataclass
class CustomerDiff:
    """What planning one customer produced."""

    changes: list[Change] = field(default_factory=list)
    warnings: list[PlanWarning] = field(default_factory=list)
    errors: list[CustomerError] = field(default_factory=list)
    managed_additions: int = 0


def diff_customer(
    customer: Customer, settings: Settings, snapshot: Snapshot, today: date
) -> CustomerDiff:
    """Plan one enabled customer against the live snapshot."""
    out = CustomerDiff()
    problem = snapshot.problem(customer.company)
    if problem is not None:
        out.errors.append(
            CustomerError(
                customer.slug,
                customer.company,
                f"{customer.slug}: company {customer.company}: {problem}; nothing is planned "
                "for it",
            )
        )
        return out
    company = snapshot.company(customer.company)
    if company is None:
        close = snapshot.suggestions.get(fold(customer.company), ())
        hint = f"; closest identifiers: {', '.join(close)}" if close else ""
        out.errors.append(
            CustomerError(
                customer.slug,
                customer.company,
                f"{customer.slug}: company {customer.company} does not exist in ConnectWise{hint}",
                tuple(close),
            )
        )
        return out
    if company.deleted:
        out.errors.append(
            CustomerError(
                customer.slug,
                customer.company,
                f"{customer.slug}: company {customer.company} (id {company.id}) "
                "is deleted in ConnectWise",
            )
        )
        return out
    cw_name = company.name
    if cw_name.strip() != customer.name.strip():
        out.warnings.append(
            PlanWarning(
                "name_drift",
                f"{customer.slug}: name '{customer.name}' differs from ConnectWise company "
                f"{customer.company}'s name '{cw_name}'",
                customer.slug,
                customer.company,
            )
        )
    agreements = snapshot.agreements.get(company.id, [])
    desired, errors = desired_additions(customer, settings, agreements)
    if errors:
        out.errors.extend(errors)
        return out
    live = managed_live_additions(settings, agreements, snapshot, today)
    out.managed_additions = sum(len(v) for v in live.values())
    billed = snapshot.quantities.get(fold(customer.company), NOT_READ)
    if billed.billing is not None and billed.units is None:
        out.warnings.append(
            PlanWarning(
                "quantities_unknown",
                f"{customer.slug}: quantities not checked: its latest billing "
                f"{billed.billing.describe()} carries no readable record of the units it "
                "billed (sent before records were written); the next billing records them",
                customer.slug,
                customer.company,
            )
        )
    out.changes = diff_additions(customer, settings, desired, live, today, billed)
    return out


# Quantities not read (verify, import, send-now's check): nothing about them is diffed.
NOT_READ = BilledQuantities(billing=None, units=None)


Live = dict[tuple[int, str], list[tuple[Agreement, Addition]]]


def managed_live_additions(
    settings: Settings, agreements: Sequence[Agreement], snapshot: Snapshot, today: date
) -> Live:
    """Live managed additions per (agreement id, catalog key): (agreement, addition) pairs."""
    managed = {fold(item) for item in settings.catalog_items()}
    live: Live = {}
    for agreement in agreements:
        if not agreement.active:
            continue
        for addition in snapshot.additions.get(agreement.id, []):
            item = fold(addition.product)
            if item in managed and addition.live_on(today):
                live.setdefault((agreement.id, item), []).append((agreement, addition))
    for pairs in live.values():
        pairs.sort(key=lambda p: p[1].id)
    return live


def diff_additions(
    customer: Customer,
    settings: Settings,
    desired: Iterable[DesiredAddition],
    live: Live,
    today: date,
    billed: BilledQuantities = NOT_READ,
) -> list[Change]:
    """Creates, updates and cancels that turn `live` into `desired`."""
    by_item = {fold(p.catalog_item): p for p in settings.products.values()}
    pool = {k: list(v) for k, v in live.items()}
    wanted_at: dict[str, AgreementInfo] = {}
    changes: list[Change] = []
    known = billed is not NOT_READ and (billed.billing is None or billed.units is not None)

    def change(
        kind: ChangeKind,
        agreement: AgreementInfo,
        item: str,
        addition: Addition | None,
        before: dict | None,
        after: dict | None,
        why: str,
        *,
        source: str = "",
        duplicate_of: int | None = None,
    ) -> None:
        product = by_item[fold(item)]
        changes.append(
            Change(
                kind=kind,
                customer=customer.slug,
                company=customer.company,
                agreement=agreement,
                product=product.key,
                catalog_item=product.catalog_item,
                addition_id=addition.id if addition is not None else None,
                before=before,
                after=after,
                reason=why,
                quantity_source=source,
                duplicate_of=duplicate_of,
            )
        )

    def new_quantity(d: DesiredAddition) -> tuple[float, str]:
        """The quantity a new addition starts with, and where it comes from."""
        start = billed.start(d.product) if known else None
        if start is not None:
            return start, billed.source(d.product)
        # Unknown units: ConnectWise's own state. A moved product keeps the quantity of
        # the addition it replaces; anything else bills nothing yet, as now.
        elsewhere = [x for (_, item), pairs in live.items() if item == fold(d.catalog_item)
                     for _, x in pairs]
        if len(elsewhere) == 1:
            moved = elsewhere[0]
            return float(moved.quantity or 0), f"as addition {moved.id} it replaces"
        return 0.0, "no live addition holds a quantity for it"

    for d in desired:
        item = fold(d.catalog_item)
        wanted_at[item] = d.agreement
        found = pool.pop((d.agreement.id, item), [])
        if not found:
            quantity, source = new_quantity(d)
            change("create", d.agreement, d.catalog_item, None, None, d.fields(quantity),
                   f"{d.product} is billed on {d.agreement.type} / {d.agreement.name}",
                   source=source)
            continue
        _, keep = found[0]
        before, after = {}, {}
        if keep.bill_customer != DESIRED_BILL_CUSTOMER:
            before["billCustomer"] = keep.bill_customer
            after["billCustomer"] = DESIRED_BILL_CUSTOMER
        if keep.cancelled_date:  # live but cancelled in the future: keep it billing
            before["cancelledDate"] = keep.cancelled_date
            after["cancelledDate"] = None
        source = ""
        wanted = billed.billed(d.product) if known else None
        if wanted is not None and float(keep.quantity or 0) != wanted:
            before["quantity"] = quantity_value(keep.quantity)
            after["quantity"] = quantity_value(wanted)
            source = billed.source(d.product)
        if after:
            change("update", d.agreement, d.catalog_item, keep, before, after,
                   "drifted from the desired addition", source=source)
        for agreement, extra in found[1:]:
            change("cancel", agreement_info(agreement), d.catalog_item, extra,
                   _cancel_before(extra), _cancel_after(today),
                   f"duplicate of addition {keep.id} on the same agreement",
                   duplicate_of=keep.id)

    for (_, item), pairs in sorted(pool.items()):
        for agreement, addition in pairs:
            target = wanted_at.get(item)
            why = (
                f"moved to {target.type} / {target.name}"
                if target is not None
                else f"{by_item[item].key} is no longer billed"
            )
            change("cancel", agreement_info(agreement), addition.product, addition,
                   _cancel_before(addition), _cancel_after(today), why)
    return changes


def _cancel_before(addition: Addition) -> dict:
    return {"billCustomer": addition.bill_customer, "cancelledDate": addition.cancelled_date}


def _cancel_after(today: date) -> dict:
    # Apply stamps the date it runs on; a plan applied the same day shows exactly this.
    return {"cancelledDate": today.isoformat()}


def build_plan(
    settings: Settings,
    targeted: Sequence[Customer],
    disabled: Sequence[Customer],
    snapshot: Snapshot,
    *,
    today: date,
    generated_at: str = "",
    config_fingerprint: str = "",
    rejected: Sequence[RejectedCustomer] = (),
) -> Plan:
    """The Plan for the targeted (enabled) customers; disabled ones only warn; customer
    files that did not load (`rejected`) get one error per problem and no changes."""
    changes: list[Change] = []
    warnings: list[PlanWarning] = []
    errors: list[CustomerError] = []
    statuses: list[CustomerStatus] = []
    for customer in sorted(targeted, key=lambda c: c.slug):
        result = diff_customer(customer, settings, snapshot, today)
        changes += result.changes
        warnings += result.warnings
        errors += result.errors
        statuses.append(
            CustomerStatus(
                customer.slug,
                customer.company,
                "error" if result.errors else "ok",
                result.managed_additions,
            )
        )
    for bad in rejected:
        errors += [CustomerError(bad.slug, bad.company or "", m) for m in bad.messages()]
        statuses.append(CustomerStatus(bad.slug, bad.company or "", "error"))
    for customer in disabled:
        warnings.append(
            PlanWarning(
                "disabled",
                f"{customer.slug}: integration disabled, nothing in ConnectWise is touched "
                f"for company {customer.company}",
                customer.slug,
                customer.company,
            )
        )
    for unmanaged in snapshot.unmanaged:
        warnings.append(
            PlanWarning(
                "unmanaged_company",
                f"ConnectWise company {unmanaged.identifier} ({unmanaged.name}) has managed "
                f"additions ({', '.join(unmanaged.catalog_items)}) but no customer file",
                None,
                unmanaged.identifier,
            )
        )
    return Plan.build(
        changes,
        warnings,
        errors,
        customers=tuple(sorted(statuses, key=lambda s: s.slug)),
        fingerprint=Fingerprint(config_fingerprint, snapshot.fingerprint(targeted)),
        requests=snapshot.requests,
        generated_at=generated_at,
    )
