"""Planning as one call: selection -> live snapshot -> desired -> diff -> Plan."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from reconciler.config.model import Customer, Fleet, RejectedCustomer
from reconciler.connectwise.gateway import Gateway
from reconciler.domain.selection import Selection
from reconciler.plan import snapshot as snapshot_mod
from reconciler.plan.diff import build_plan
from reconciler.plan.model import Plan


def config_fingerprint(
    fleet: Fleet, customers: Iterable[Customer | RejectedCustomer]
) -> str:
    """sha256 over reconciler.yaml and the given customers' files, as bytes on disk."""
    digest = hashlib.sha256()
    paths = [fleet.settings.path, *sorted(c.path for c in customers)]
    for rel in paths:
        path = Path(fleet.root) / rel
        try:
            data = path.read_bytes()
        except OSError:
            data = b"<missing>"
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return "sha256:" + digest.hexdigest()


def make_plan(
    fleet: Fleet,
    gateway: Gateway,
    selection: Selection,
    *,
    now: datetime,
    scan_unmanaged: bool | None = None,
) -> Plan:
    """The plan for `selection` at instant `now` (its date, in the fleet's time zone, is
    "today" for cancellations). The unmanaged scan runs on whole-fleet plans by default.

    Customer files that did not load (`selection.rejected`) become errors and nothing is
    read or planned for them; their companies still count as having a file, so their
    managed additions are not reported as unmanaged (and are never touched)."""
    today = now.astimezone(ZoneInfo(fleet.settings.timezone)).date()
    scan = selection.whole_fleet if scan_unmanaged is None else scan_unmanaged
    owned = [c.company for c in fleet.customers]
    owned += [r.company for r in fleet.rejected if r.company]
    snap = snapshot_mod.read(
        gateway,
        fleet.settings,
        selection.enabled,
        scan_unmanaged=scan,
        fleet_companies=owned,
        today=today,
        with_billing=True,
    )
    return build_plan(
        fleet.settings,
        selection.enabled,
        selection.disabled,
        snap,
        today=today,
        generated_at=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        config_fingerprint=config_fingerprint(fleet, [*selection.enabled, *selection.rejected]),
        rejected=selection.rejected,
    )
