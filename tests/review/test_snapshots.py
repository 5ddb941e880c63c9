"""reconciler.review.snapshots: fleets at many commits, loading only what changed."""

from __future__ import annotations

from reconciler.gitrefs import FleetInvalidAtRef
from reconciler.review.snapshots import FleetSnapshots


def edit_commits(repo, n: int) -> list[str]:
    """n commits, each changing one customer's billing day."""
    ids = []
    for i in range(n):
        repo.replace("customers/acme.yaml", f"day: {31 - i}", f"day: {30 - i}")
        ids.append(repo.commit(f"acme day {30 - i}"))
    return ids


def test_one_full_load_then_one_file_per_commit(fleet_repo):
    first = fleet_repo.git("rev-parse", "HEAD")
    ids = edit_commits(fleet_repo, 3)
    with FleetSnapshots(fleet_repo.root) as snaps:
        fleets = [snaps.fleet(c) for c in [first, *ids]]
        assert snaps.loads == 4  # the first is the whole fleet, then only acme's file each time
        assert [f.customers[0].policy.billing.day for f in fleets] == [31, 30, 29, 28]
        assert len({len(f.customers) for f in fleets}) == 1  # every customer, every time
        # Unchanged customers are the very same objects: nothing re-parsed.
        assert fleets[0].customers[1] is fleets[3].customers[1]
        assert snaps.fleet(ids[1]) is fleets[2] and snaps.loads == 4  # cached by tree


def test_a_settings_change_reloads_everything(fleet_repo):
    first = fleet_repo.git("rev-parse", "HEAD")
    fleet_repo.replace("reconciler.yaml", "    day: 1\n", "    day: 2\n")
    second = fleet_repo.commit("global day 2")
    with FleetSnapshots(fleet_repo.root) as snaps:
        before, after = snaps.fleet(first), snaps.fleet(second)
        assert snaps.loads == 2
        globex = next(c for c in after.customers if c.slug == "globex")
        assert globex.policy.billing.day == 2
        assert before.customers[0] is not after.customers[0]


def test_only_one_customer_is_loaded_and_others_errors_do_not_matter(fleet_repo):
    fleet_repo.replace("customers/hooli.yaml", "day: 30", "day: 99")
    broken_hooli = fleet_repo.commit("break hooli")
    with FleetSnapshots(fleet_repo.root, only="acme") as snaps:
        fleet = snaps.fleet(broken_hooli)
        assert [c.slug for c in fleet.customers] == ["acme"]
    with FleetSnapshots(fleet_repo.root) as snaps:
        assert isinstance(snaps.fleet(broken_hooli), FleetInvalidAtRef)


def test_customer_absent_at_a_commit_is_none(fleet_repo):
    fleet_repo.write(
        "customers/zeta.yaml",
        fleet_repo.read("customers/acme.yaml")
        .replace("company: ACME", "company: ZETA")
        .replace("6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01", "zeta-1"),
    )
    first = fleet_repo.git("rev-parse", "HEAD")
    added = fleet_repo.commit("add zeta")
    with FleetSnapshots(fleet_repo.root, only="zeta") as snaps:
        assert snaps.fleet(first) is None
        assert [c.company for c in snaps.fleet(added).customers] == ["ZETA"]


def test_a_path_that_is_a_folder_in_one_commit_and_a_file_in_the_next(fleet_repo):
    text = fleet_repo.read("customers/acme.yaml")
    first = fleet_repo.git("rev-parse", "HEAD")
    (fleet_repo.root / "customers/acme.yaml").unlink()
    fleet_repo.write("customers/acme.yaml/acme.yaml", text)
    folder = fleet_repo.commit("acme.yaml becomes a folder")
    (fleet_repo.root / "customers/acme.yaml/acme.yaml").unlink()
    (fleet_repo.root / "customers/acme.yaml").rmdir()
    fleet_repo.write("customers/acme.yaml", text.replace("day: 31", "day: 7"))
    back = fleet_repo.commit("and a file again")
    with FleetSnapshots(fleet_repo.root) as snaps:
        assert snaps.fleet(first).customers[0].policy.billing.day == 31
        assert snaps.fleet(folder).customers[0].path == "customers/acme.yaml/acme.yaml"
        assert snaps.fleet(back).customers[0].policy.billing.day == 7
