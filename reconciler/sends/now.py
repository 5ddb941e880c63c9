"""Send now's preconditions: the customer exists, is enabled and has nothing unapplied.

"If you selected or cleared products, save first": a send-now bills exactly what the
applied configuration says, so it is refused while `plan` shows changes or errors for
that customer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.config.model import Customer, Fleet
from reconciler.errors import ReconcilerError
from reconciler.plan.cw import key as fold
from reconciler.plan.select import Selection


class SendNowRefused(ReconcilerError):
    """Send now cannot run for this customer (unknown, disabled or unapplied changes)."""


def find_customer(fleet: Fleet, ident: str) -> Customer:
    """The customer whose slug or company identifier is `ident` (any case); a customer
    whose file did not load (`fleet.rejected`) is refused with its errors."""
    for customer in fleet.customers:
        if fold(ident) in (fold(customer.slug), fold(customer.company)):
            if not customer.enabled:
                raise SendNowRefused(f"customer {customer.slug} has the integration disabled; "
                                     "nothing is sent for it")
            return customer
    for bad in fleet.rejected:
        if fold(ident) in (fold(bad.slug), fold(bad.company or "")):
            raise SendNowRefused(f"send-now refused: {bad.path} has errors, nothing is sent "
                                 "for it: " + "; ".join(bad.messages()))
    known = ", ".join(c.slug for c in fleet.customers)
    raise SendNowRefused(f"no customer {ident!r} (slug or company identifier; have: {known})")


def unapplied_changes(fleet: Fleet, client: Any, customer: Customer, at: datetime) -> None:
    """Raise SendNowRefused if planning the customer shows changes or errors."""
    from reconciler.plan.service import make_plan

    plan = make_plan(fleet, client, Selection((customer,), (), False), now=at,
                     scan_unmanaged=False)
    problems = [f"{c.kind} {c.product} addition on {c.agreement}" for c in plan.changes]
    problems += [e.message for e in plan.errors]
    if problems:
        raise SendNowRefused(
            f"send-now refused: {customer.slug} has unapplied changes or errors; run "
            f"`reconciler plan --customer {customer.slug}` and apply first ("
            + "; ".join(str(p) for p in problems[:5])
            + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "") + ")")
