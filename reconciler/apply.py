"""Executing a Plan against ConnectWise: staleness and safety checks, then the writes.

- A saved plan is applied only if re-reading the same customers gives the same config and
  live fingerprints (`check_fresh`); otherwise nothing is written.
- Cancelling more than `safety.max_cancel_percent` of the managed additions (once at
  least `safety.min_managed_additions` exist) needs `force` (`check_thresholds`).
- Customers are applied independently (on the gateway's bounded thread pool); inside a
  customer the plan order holds, and the first failure skips that customer's remaining
  changes. Every outcome is reported. Cancels set cancelledDate to the apply date; nothing
  is ever deleted. POSTs are never retried blindly: a create whose answer was lost is
  seen by the next plan, which then has nothing to create.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import NewAddition
from reconciler.errors import ReconcilerError
from reconciler.plan.desired import DESIRED_BILL_CUSTOMER
from reconciler.plan.model import Change, Plan


class StalePlan(ReconcilerError):
    """The saved plan no longer matches ConnectWise or the configuration."""


class ThresholdExceeded(ReconcilerError):
    """The plan cancels more managed additions than the safety settings allow."""


Status = Literal["applied", "failed", "skipped", "not planned"]


@dataclass(frozen=True)
class Outcome:
    """What happened to one change (or to a customer that could not be planned)."""

    customer: str
    status: Status
    message: str
    change: Change | None = None


@dataclass(frozen=True)
class ApplyReport:
    outcomes: tuple[Outcome, ...]

    @property
    def failed(self) -> bool:
        return any(o.status != "applied" for o in self.outcomes)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def check_fresh(saved: Plan, current: Plan) -> None:
    """Refuse a saved plan whose config or live fingerprint changed since it was made."""
    stale = []
    if saved.fingerprint.config != current.fingerprint.config:
        stale.append("the configuration (reconciler.yaml or a customer file) changed")
    if saved.fingerprint.live != current.fingerprint.live:
        stale.append("ConnectWise changed (companies, agreements or additions it read)")
    if stale:
        raise StalePlan(
            "the saved plan is stale: " + " and ".join(stale)
            + " since it was made; nothing was applied. Run plan again."
        )
    # Same configuration and live state give the same changes: different ones mean the
    # file was edited (or made by another version), and only planned changes are applied.
    if [c.to_json() for c in saved.changes] != [c.to_json() for c in current.changes]:
        raise StalePlan(
            "the saved plan's changes are not the ones this configuration and ConnectWise "
            "give (was the file edited?); nothing was applied. Run plan again."
        )


def check_thresholds(plan: Plan, max_cancel_percent: float, min_managed: int,
                     force: bool) -> str | None:
    """Raise ThresholdExceeded unless forced; returns a note when forcing past it."""
    managed = plan.managed_additions
    cancels = plan.counts()["cancel"]
    if managed < min_managed or managed == 0:
        return None
    share = 100.0 * cancels / managed
    if share <= max_cancel_percent:
        return None
    message = (
        f"the plan cancels {cancels} of {managed} managed additions ({share:.0f}%), over the "
        f"safety threshold of {max_cancel_percent:g}% (safety.max_cancel_percent)"
    )
    if not force:
        raise ThresholdExceeded(message + "; nothing was applied. Re-run with --force if "
                                "this is intended.")
    return message + "; applying anyway (--force)."


def execute(gateway: Gateway, change: Change, today: date) -> None:
    """One change as one ConnectWise write."""
    agreement_id = change.agreement.id
    if change.kind == "create":
        gateway.create_addition(
            agreement_id, NewAddition(change.catalog_item, DESIRED_BILL_CUSTOMER, today))
        return
    addition_id = int(change.addition_id or 0)
    if change.kind == "cancel":
        gateway.cancel_addition(agreement_id, addition_id, today)
    else:
        gateway.update_addition(agreement_id, addition_id, dict(change.after or {}))


def apply_plan(
    plan: Plan,
    gateway: Gateway,
    *,
    today: date,
    progress: Callable[[int, int, Outcome], None] | None = None,
) -> ApplyReport:
    """Apply every change of `plan`; customers the plan has errors for count as failed."""
    grouped = plan.changes_by_customer()
    total = len(plan.changes)
    done = 0
    lock = threading.Lock()

    def report(outcome: Outcome) -> None:
        nonlocal done
        if progress is None:
            return
        with lock:
            done += 1
            progress(done, total, outcome)

    def run_customer(slug: str) -> list[Outcome]:
        outcomes: list[Outcome] = []
        failure: str | None = None
        for change in grouped[slug]:
            if failure is not None:
                outcome = Outcome(slug, "skipped", f"not attempted after: {failure}", change)
            else:
                try:
                    execute(gateway, change, today)
                    outcome = Outcome(slug, "applied", "", change)
                except ReconcilerError as exc:
                    failure = f"{slug}: {change.kind} {change.product} on "
                    failure += f"{change.agreement.type} / {change.agreement.name}: {exc}"
                    outcome = Outcome(slug, "failed", failure, change)
            outcomes.append(outcome)
            report(outcome)
        return outcomes

    results = gateway.parallel(run_customer, list(grouped))
    outcomes = [o for per_customer in results for o in per_customer]
    outcomes += [Outcome(e.customer, "not planned", e.message) for e in plan.errors]
    return ApplyReport(tuple(outcomes))
