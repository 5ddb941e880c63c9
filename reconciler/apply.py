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
- Two applies at once (a hand-run one overlapping CI's) converge: before each create the
  agreement's additions are read again, and a live addition of that catalog item made
  meanwhile is kept instead of creating another; after a customer's creates, each
  agreement created on is read once more, and where two live additions of the item now
  exist (both applies created at the same moment) the newer one, if it is ours, is
  cancelled: the older addition wins, whichever apply sees it, so exactly one stays.
  Cancels of duplicates never count towards the cancel threshold (they do not lower what
  is billed), so a repairing apply is never refused by it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Addition, NewAddition
from reconciler.domain.fold import fold
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
    # a duplicate's cancel leaves its twin billing: it takes nothing away
    cancels = sum(1 for c in plan.changes if c.kind == "cancel" and c.duplicate_of is None)
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


def planned_quantity(change: Change) -> float:
    """The quantity a create writes: the plan's, never ConnectWise's undocumented default."""
    quantity = (change.after or {}).get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int | float) or quantity < 0:
        raise ReconcilerError(f"the plan gives no quantity for the new {change.product} "
                              "addition (a plan from an older version?); plan again")
    return float(quantity)


def live_of_item(gateway: Gateway, agreement_id: int, catalog_item: str, today: date
                 ) -> list[Addition]:
    """The agreement's live additions of one catalog item, oldest (lowest id) first (read
    now; a malformed one raises)."""
    found = gateway.additions([agreement_id])
    if found.malformed:
        raise found.malformed[0]
    return sorted((x for x in found.records
                   if fold(x.product) == fold(catalog_item) and x.live_on(today)),
                  key=lambda x: x.id)


def execute(gateway: Gateway, change: Change, today: date) -> Addition | str | None:
    """One change as one ConnectWise write: the addition a create made, or a note when
    there was nothing left to do."""
    agreement_id = change.agreement.id
    if change.kind == "create":
        quantity = planned_quantity(change)
        there = live_of_item(gateway, agreement_id, change.catalog_item, today)
        if there:  # made since the plan: another apply running at the same time
            return (f"already there: addition {there[0].id} (made since the plan, by "
                    "another apply?)")
        return gateway.create_addition(
            agreement_id, NewAddition(change.catalog_item, DESIRED_BILL_CUSTOMER, today,
                                      quantity=quantity))
    addition_id = int(change.addition_id or 0)
    if change.kind == "cancel":
        gateway.cancel_addition(agreement_id, addition_id, today)
    else:
        gateway.update_addition(agreement_id, addition_id, dict(change.after or {}))
    return None


def settle_own_duplicate(gateway: Gateway, change: Change, mine: Addition, today: date
                         ) -> str:
    """After a create: if another apply created the same item at the same moment, the
    older addition wins and ours, if newer, is cancelled. Returns a note ("" if alone)."""
    live = live_of_item(gateway, change.agreement.id, change.catalog_item, today)
    if len(live) < 2 or live[0].id == mine.id:
        return ""
    if any(x.id == mine.id for x in live):
        gateway.cancel_addition(change.agreement.id, mine.id, today)
    return (f"another apply created addition {live[0].id} at the same moment; ours "
            f"({mine.id}) is cancelled, the older one stays")


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

    def failed(slug: str, change: Change, exc: ReconcilerError) -> str:
        return (f"{slug}: {change.kind} {change.product} on {change.agreement.type} / "
                f"{change.agreement.name}: {exc}")

    def run_customer(slug: str) -> list[Outcome]:
        outcomes: list[Outcome] = []
        created: list[tuple[int, Addition]] = []  # (index in outcomes, addition made)
        failure: str | None = None
        for change in grouped[slug]:
            if failure is not None:
                outcome = Outcome(slug, "skipped", f"not attempted after: {failure}", change)
            else:
                try:
                    made = execute(gateway, change, today)
                    note = made if isinstance(made, str) else ""
                    if isinstance(made, Addition):
                        created.append((len(outcomes), made))
                    outcome = Outcome(slug, "applied", note, change)
                except ReconcilerError as exc:
                    failure = failed(slug, change, exc)
                    outcome = Outcome(slug, "failed", failure, change)
            outcomes.append(outcome)
            report(outcome)
        for index, mine in created:  # after every create: settle twins of our making
            outcome = outcomes[index]
            try:
                note = settle_own_duplicate(gateway, outcome.change, mine, today)
            except ReconcilerError as exc:
                outcomes[index] = replace(outcome, status="failed", message=(
                    "created, but checking for a duplicate made by another apply failed: "
                    + failed(slug, outcome.change, exc)))
                continue
            if note:
                outcomes[index] = replace(outcome, message=note)
        return outcomes

    results = gateway.parallel(run_customer, list(grouped))
    outcomes = [o for per_customer in results for o in per_customer]
    outcomes += [Outcome(e.customer, "not planned", e.message) for e in plan.errors]
    return ApplyReport(tuple(outcomes))
