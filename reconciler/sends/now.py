"""Send now's preconditions: the customer exists, is enabled and has nothing unapplied.

"If you selected or cleared products, save first": a send-now bills exactly what the
applied configuration says, so it is refused while planning that one customer (its live
snapshot diffed against its file) shows changes or errors.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from reconciler.config.model import Customer, Fleet
from reconciler.connectwise.gateway import Gateway
from reconciler.domain.fold import fold
from reconciler.errors import ReconcilerError
from reconciler.plan import snapshot
from reconciler.plan.diff import diff_customer
from reconciler.plan.model import Change, CustomerError


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


def unapplied_changes(gateway: Gateway, fleet: Fleet, customer: Customer, at: datetime
                      ) -> list[str]:
    """What planning this one customer at `at` would show: its changes (in plan order)
    and its errors; empty when everything is applied."""
    today = at.astimezone(ZoneInfo(fleet.settings.timezone)).date()
    live = snapshot.read(gateway, fleet.settings, [customer], today=today)
    found = diff_customer(customer, fleet.settings, live, today)
    changes = sorted(found.changes, key=Change.sort_key)
    errors = sorted(found.errors, key=CustomerError.sort_key)
    return ([f"{c.kind} {c.product} addition on {c.agreement}" for c in changes]
            + [e.message for e in errors])


def refuse_unapplied(gateway: Gateway, fleet: Fleet, customer: Customer, at: datetime
                     ) -> None:
    """Raise SendNowRefused if the customer has unapplied changes or errors."""
    problems = unapplied_changes(gateway, fleet, customer, at)
    if problems:
        raise SendNowRefused(
            f"send-now refused: {customer.slug} has unapplied changes or errors; run "
            f"`reconciler plan --customer {customer.slug}` and apply first ("
            + "; ".join(str(p) for p in problems[:5])
            + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "") + ")")
