"""The Verify button: each company exists and is not deleted, its agreements, its default.

Also checks that every billed product's agreement resolves, since that is what the
Verify button is pressed for before saving the mappings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.config.model import Customer, RejectedCustomer, Settings
from reconciler.connectwise.gateway import Gateway
from reconciler.domain.agreements import (
    ResolutionError,
    default_agreement,
    describe_agreement,
    resolve_agreement,
)
from reconciler.domain.fold import fold
from reconciler.plan import snapshot as snapshot_mod


@dataclass(frozen=True)
class CompanyCheck:
    """What Verify found for one customer."""

    customer: str
    company: str
    ok: bool
    message: str  # "Acme Corporation (id 12)" or why it failed
    agreements: tuple[tuple[str, bool], ...] = ()  # (description, is the default)
    mappings: tuple[tuple[str, str, bool], ...] = ()  # (product, agreement or error, ok)

    def to_json(self) -> dict:
        return {
            "customer": self.customer,
            "company": self.company,
            "ok": self.ok,
            "message": self.message,
            "agreements": [{"agreement": d, "default": dflt} for d, dflt in self.agreements],
            "mappings": [{"product": p, "agreement": a, "ok": ok} for p, a, ok in self.mappings],
        }


def verify(gateway: Gateway, settings: Settings, customers: Sequence[Customer]
           ) -> tuple[list[CompanyCheck], int]:
    """One check per customer, and the number of requests made."""
    snap = snapshot_mod.read(gateway, settings, customers, with_additions=False)
    checks = []
    for customer in sorted(customers, key=lambda c: c.slug):
        checks.append(check_customer(customer, settings, snap))
    return checks, snap.requests


def rejected_checks(rejected: Iterable[RejectedCustomer]) -> list[CompanyCheck]:
    """A failed check per customer file that did not load (nothing is read for it)."""
    return [
        CompanyCheck(r.slug, r.company or "", False,
                     "not verified, the file has errors: " + "; ".join(r.messages()))
        for r in rejected
    ]


def check_customer(customer: Customer, settings: Settings, snap: snapshot_mod.Snapshot
                   ) -> CompanyCheck:
    problem = snap.problem(customer.company)
    if problem is not None:
        return CompanyCheck(customer.slug, customer.company, False,
                            f"company {customer.company}: {problem}")
    company = snap.company(customer.company)
    if company is None:
        close = snap.suggestions.get(fold(customer.company), ())
        hint = f"; closest identifiers: {', '.join(close)}" if close else ""
        return CompanyCheck(customer.slug, customer.company, False,
                            f"company {customer.company} does not exist in ConnectWise{hint}")
    if company.deleted:
        return CompanyCheck(customer.slug, customer.company, False,
                            f"company {customer.company} (id {company.id}) is deleted")
    agreements = sorted(snap.agreements.get(company.id, []),
                        key=lambda a: (a.type_name, a.name, a.id))
    default = default_agreement(agreements, settings.default_agreement_types)
    lines = tuple(
        (describe_agreement(a), default is not None and a.id == default.id) for a in agreements
    )
    mappings = []
    for product in sorted(customer.billed_products):
        ref = customer.agreement_for(product)
        try:
            found = resolve_agreement(ref, agreements, settings.default_agreement_types)
            where = ("default: " if ref.is_default else "") + describe_agreement(found)
            mappings.append((product, where, True))
        except ResolutionError as exc:
            mappings.append((product, f"{ref}: {exc.message}", False))
    ok = all(m[2] for m in mappings)
    return CompanyCheck(
        customer.slug,
        customer.company,
        ok,
        f"{company.name} (id {company.id})",
        lines,
        tuple(mappings),
    )
