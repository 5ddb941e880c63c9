"""The policy review of a change set: base ref vs. the working tree, for `plan --changed-since`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from reconciler.config.model import Fleet
from reconciler.connectwise.errors import ConnectWiseError
from reconciler.connectwise.gateway import Gateway
from reconciler.gitrefs import FleetInvalidAtRef, NoFleetAtRef, fleet_at, merge_base
from reconciler.review.impact import BillingImpact, billing_impact
from reconciler.review.live import read_live_billing
from reconciler.review.moves import sends_moved
from reconciler.review.policy import CustomerPolicyChange, policy_changes

FORMAT_VERSION = 1


@dataclass(frozen=True)
class PolicyReview:
    """Every customer whose effective policy the change set alters, with the sends it moves."""

    base_ref: str
    base_commit: str  # full id of the merge base the head is compared with
    at: datetime  # "upcoming" is after this instant
    changes: tuple[CustomerPolicyChange, ...]
    note: str | None = None  # why the base could not be compared, when it could not
    skipped: tuple[str, ...] = ()  # customers whose file has errors at base or head
    impact: BillingImpact | None = None  # None: not computed (see impact_note)
    impact_note: str | None = None  # why the billing impact is not there

    def to_json(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "base_ref": self.base_ref,
            "base_commit": self.base_commit,
            "at": self.at.isoformat(),
            "note": self.note,
            "billing_impact": self.impact.to_json() if self.impact else None,
            "billing_impact_note": self.impact_note,
            "customers": [c.to_json() for c in self.changes],
            "skipped": list(self.skipped),
        }


def review_fleets(
    base: Fleet | None, head: Fleet, *, at: datetime, slugs: Iterable[str] | None = None
) -> tuple[CustomerPolicyChange, ...]:
    """Policy changes between two fleets, each with the upcoming sends it moves."""
    before = {c.slug: (c, base.settings) for c in base.customers} if base else {}
    after = {c.slug: (c, head.settings) for c in head.customers}
    return tuple(
        replace(change, moves=sends_moved(before.get(change.slug), after.get(change.slug), at))
        for change in policy_changes(base, head, slugs=slugs)
    )


def policy_review(
    root: Path,
    base_ref: str,
    head_fleet: Fleet,
    *,
    at: datetime,
    slugs: Iterable[str] | None = None,
    gateway: Gateway | None = None,
) -> PolicyReview:
    """Compare the fleet at the merge base of `base_ref` with `head_fleet` (the working tree).

    A base without a fleet counts every customer as added; a base whose reconciler.yaml
    does not load is reported in `note` (the review then has no changes) rather than
    failing the plan it is part of. A customer file with errors (at the base, or left out
    of a partial `head_fleet`) is listed in `skipped`, never as added or removed.
    With a `gateway`, the billing impact of the changed customers is read and computed;
    a failed read is said in `impact_note`, never a failed plan. Unknown refs raise
    `GitError`.
    """
    commit = merge_base(Path(root), base_ref)
    try:
        base: Fleet | None = fleet_at(Path(root), commit, partial=True)
    except NoFleetAtRef:
        base = None
    except FleetInvalidAtRef as exc:
        note = str(exc).replace(commit, base_ref)
        return PolicyReview(base_ref, commit, at, (), note=note)
    rejected = {r.slug for f in (base, head_fleet) if f for r in f.rejected}
    known = {c.slug for f in (base, head_fleet) if f for c in f.customers} - rejected
    wanted = known if slugs is None else known & set(slugs)
    changes = review_fleets(base, head_fleet, at=at, slugs=wanted)
    skipped = sorted(rejected if slugs is None else rejected & set(slugs))
    impact, impact_note = (None, None) if gateway is None else _impact(
        gateway, base, head_fleet, changes, at)
    return PolicyReview(base_ref, commit, at, changes, skipped=tuple(skipped), impact=impact,
                        impact_note=impact_note)


def _impact(gateway: Gateway, base: Fleet | None, head: Fleet,
            changes: tuple[CustomerPolicyChange, ...], at: datetime
            ) -> tuple[BillingImpact | None, str | None]:
    start = gateway.request_count
    today = at.astimezone(ZoneInfo(head.settings.timezone)).date()
    try:
        live = read_live_billing(gateway, [c.company for c in changes], head.settings,
                                 base.settings if base else None, today)
    except ConnectWiseError as exc:
        return None, f"billing impact not computed: reading ConnectWise failed: {exc}"
    return billing_impact(base, head, [c.slug for c in changes], live, today,
                          requests=gateway.request_count - start), None
