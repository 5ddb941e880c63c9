"""The fleet in force over time: which configuration governed the sends at an instant.

`history` answers "who changed what"; an audit asks "what did the policy say on
2026-11-05?". A change takes effect when it lands on the branch the runs use, so the
timeline walks that branch's first-parent commits touching the fleet (a merged pull
request counts from its merge), dated by the committer date. A commit whose
configuration does not load changes nothing: the runs of the time could not load it
either (it is listed with its error, and the last valid fleet stays in force).
Fleets are loaded through `FleetSnapshots`, one load per distinct set of file versions.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler.config.model import Fleet
from reconciler.gitrefs import FleetInvalidAtRef
from reconciler.review.history import fleet_pathspecs, log_commits
from reconciler.review.snapshots import FleetSnapshots


@dataclass(frozen=True)
class FleetAt:
    """The fleet in force from `since` (when `commit` landed) until the next entry."""

    commit: str
    since: datetime  # committer date, aware
    author: str
    subject: str
    fleet: Fleet | None  # None: no fleet at this commit (reconciler.yaml removed)
    error: str | None = None  # the commit's configuration does not load (fleet: the last valid)


def policy_timeline(root: Path, *, snapshots: FleetSnapshots | None = None
                    ) -> tuple[FleetAt, ...]:
    """The fleet in force after each first-parent commit of HEAD that touched it, oldest
    first; a repository without commits has an empty timeline. `snapshots` (whole fleets
    of `root`) may be shared with `history`, so each version is loaded once for both."""
    root = Path(root)
    entries: list[FleetAt] = []
    in_force: Fleet | None = None
    with nullcontext(snapshots) if snapshots else FleetSnapshots(root) as snapshots:
        for c in log_commits(root, None, fleet_pathspecs(root), first_parent=True):
            fleet = snapshots.fleet(c.commit)
            since = datetime.fromisoformat(c.committed)
            if isinstance(fleet, FleetInvalidAtRef):
                error = f"config invalid at {c.commit[:7]}: {fleet.detail}"
                entries.append(FleetAt(c.commit, since, c.author, c.subject, in_force, error))
                continue
            in_force = fleet
            entries.append(FleetAt(c.commit, since, c.author, c.subject, fleet))
    return tuple(entries)
