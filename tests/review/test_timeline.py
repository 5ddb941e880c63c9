"""reconciler.review.timeline: the fleet in force after each commit of the branch."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.review import snapshots as snapshots_module
from reconciler.review.history import history
from reconciler.review.snapshots import FleetSnapshots
from reconciler.review.timeline import policy_timeline


def test_each_commit_of_the_branch_with_its_fleet_and_when_it_landed(fleet_repo):
    r = fleet_repo
    first = r.git("rev-parse", "HEAD")
    r.replace("customers/acme.yaml", "day: 31", "day: 5")
    second = r.commit("Acme bills on the 5th", author="Bob Billing <bob@example.com>")
    r.write("NOTES.md", "not the fleet\n")
    r.commit("Notes")
    timeline = policy_timeline(r.root)
    assert [e.commit for e in timeline] == [first, second]
    assert timeline[1].since == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert timeline[1].author == "Bob Billing"
    acme = next(c for c in timeline[1].fleet.customers if c.slug == "acme")
    assert acme.policy.billing.day == 5
    assert next(c for c in timeline[0].fleet.customers if c.slug == "acme").policy.billing.day == 31


def test_an_invalid_commit_keeps_the_previous_fleet_in_force(fleet_repo):
    r = fleet_repo
    r.replace("customers/acme.yaml", "day: 31", "day: 45")
    broken = r.commit("Typo")
    r.replace("customers/acme.yaml", "day: 45", "day: 7")
    r.commit("Fix")
    first, bad, fixed = policy_timeline(r.root)
    assert bad.commit == broken and bad.error.startswith(f"config invalid at {broken[:7]}")
    assert bad.fleet is first.fleet  # still the first fleet
    assert fixed.error is None and fixed.fleet is not first.fleet


def test_a_merged_branch_counts_from_its_merge(fleet_repo):
    r = fleet_repo
    r.git("checkout", "-q", "-b", "feature")
    r.replace("customers/acme.yaml", "day: 31", "day: 5")
    r.commit("On a branch")
    r.git("checkout", "-q", "main")
    r.write("NOTES.md", "x\n")
    r.commit("Meanwhile on main")
    r.git("merge", "-q", "--no-ff", "feature", "-m", "Merge feature")
    merge = r.git("rev-parse", "HEAD")
    timeline = policy_timeline(r.root)
    assert timeline[-1].commit == merge and len(timeline) == 2
    acme = next(c for c in timeline[-1].fleet.customers if c.slug == "acme")
    assert acme.policy.billing.day == 5


def test_no_commits_no_timeline(tmp_path):
    from tests.review.conftest import GitRepo

    GitRepo(tmp_path)
    assert policy_timeline(tmp_path) == ()


def test_history_and_the_timeline_share_one_load_per_version(fleet_repo, monkeypatch):
    r = fleet_repo
    r.replace("customers/acme.yaml", "day: 31", "day: 5")
    r.commit("Acme bills on the 5th")
    r.replace("reconciler.yaml", 'send_at: "06:00"', 'send_at: "07:00"')
    r.commit("Later sends")
    loads = []
    real = snapshots_module.load_fleet
    monkeypatch.setattr(snapshots_module, "load_fleet",
                        lambda *a, **k: loads.append(1) or real(*a, **k))
    with FleetSnapshots(r.root) as alone:
        policy_timeline(r.root, snapshots=alone)
    timeline_loads = len(loads)
    history(r.root)
    assert len(loads) >= 2 * timeline_loads  # on its own, history loads them again
    loads.clear()
    with FleetSnapshots(r.root) as shared:
        timeline = policy_timeline(r.root, snapshots=shared)
        changes = history(r.root, snapshots=shared)
    assert len(loads) == timeline_loads  # history loaded nothing more
    assert len(timeline) == 3 and len(changes.entries) == 3
    assert changes == history(r.root)  # and says what it says on its own
