"""Desired objects: for each billed product, one Billable addition on its agreement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.config.model import Customer, Settings
from reconciler.connectwise.records import Agreement
from reconciler.domain.agreements import ResolutionError, resolve_agreement
from reconciler.plan.model import AgreementInfo, CustomerError

# The fields of a managed addition that the tool owns: billCustomer, a pending cancel, and
# the quantity (the latest billed units: `plan.quantities`); nothing else is diffed or
# written.
DESIRED_BILL_CUSTOMER = "Billable"


@dataclass(frozen=True)
class DesiredAddition:
    """One addition the fleet wants: product on agreement, billed to the customer."""

    product: str  # product key
    catalog_item: str
    agreement: AgreementInfo

    def fields(self, quantity: float) -> dict:
        return {"product": self.catalog_item, "billCustomer": DESIRED_BILL_CUSTOMER,
                "quantity": quantity_value(quantity)}


def quantity_value(quantity: float | None) -> int | float | None:
    """A quantity as plans show and save it: whole numbers as integers."""
    if quantity is None:
        return None
    return int(quantity) if float(quantity).is_integer() else float(quantity)


def agreement_info(agreement: Agreement) -> AgreementInfo:
    return AgreementInfo(id=agreement.id, name=agreement.name, type=agreement.type_name)


def desired_additions(
    customer: Customer, settings: Settings, agreements: Sequence[Agreement]
) -> tuple[list[DesiredAddition], list[CustomerError]]:
    """The customer's desired additions, or the errors that stop it from being planned."""
    desired: list[DesiredAddition] = []
    errors: list[CustomerError] = []
    for product_key in sorted(customer.billed_products):
        product = settings.products.get(product_key)
        if product is None:  # config validation prevents this; never guess a catalog item
            errors.append(
                CustomerError(
                    customer.slug,
                    customer.company,
                    f"{customer.slug}: product '{product_key}' is not defined in reconciler.yaml",
                )
            )
            continue
        ref = customer.agreement_for(product_key)
        try:
            agreement = resolve_agreement(ref, agreements, settings.default_agreement_types)
        except ResolutionError as exc:
            errors.append(
                CustomerError(
                    customer.slug,
                    customer.company,
                    f"{customer.slug}: company {customer.company}: {product_key}"
                    f"{' (default agreement)' if ref.is_default else ''}: {exc.message}",
                    exc.candidates,
                )
            )
            continue
        info = agreement_info(agreement)
        desired.append(DesiredAddition(product_key, product.catalog_item, info))
    return desired, errors
