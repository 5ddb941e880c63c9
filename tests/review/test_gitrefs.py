"""reconciler.gitrefs: changed files since a ref and the fleet at a ref (used by review)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.gitrefs import (
    FleetInvalidAtRef,
    NoFleetAtRef,
    changed_files,
    fleet_at,
    tree_entries,
)


def test_no_changes_since_head_is_empty(fleet_repo):
    assert changed_files(fleet_repo.root, "HEAD") == set()


def test_modified_deleted_staged_and_untracked_files_count(fleet_repo):
    fleet_repo.replace("customers/acme.yaml", "day: 31", "day: 5")
    (fleet_repo.root / "customers/globex.yaml").unlink()
    fleet_repo.write("customers/new.yaml", "name: New\n")
    fleet_repo.write("customers/staged.yaml", "name: Staged\n")
    fleet_repo.git("add", "customers/staged.yaml")
    assert changed_files(fleet_repo.root, "HEAD") == {
        "customers/acme.yaml",
        "customers/globex.yaml",
        "customers/new.yaml",
        "customers/staged.yaml",
    }


def test_ignored_files_do_not_count(fleet_repo):
    fleet_repo.write(".gitignore", ".reconciler/\n")
    fleet_repo.commit("ignore state")
    fleet_repo.write(".reconciler/sandbox-state.json", "{}")
    assert changed_files(fleet_repo.root, "HEAD") == set()


def test_committed_changes_since_an_older_ref(fleet_repo):
    first = fleet_repo.git("rev-parse", "HEAD")
    fleet_repo.replace("reconciler.yaml", "day: 1", "day: 2")
    fleet_repo.commit("global billing day 2")
    assert changed_files(fleet_repo.root, first) == {"reconciler.yaml"}


def test_compares_through_the_merge_base_like_a_pull_request(fleet_repo):
    fleet_repo.git("checkout", "-q", "-b", "feature")
    fleet_repo.replace("customers/acme.yaml", "day: 31", "day: 5")
    fleet_repo.commit("acme day 5")
    fleet_repo.git("checkout", "-q", "main")
    fleet_repo.replace("customers/hooli.yaml", "day: 30", "day: 3")
    fleet_repo.commit("hooli day 3 on main")
    fleet_repo.git("checkout", "-q", "feature")
    # main gained hooli's change after the fork: not this branch's change.
    assert changed_files(fleet_repo.root, "main") == {"customers/acme.yaml"}


def test_paths_are_relative_to_a_fleet_in_a_subfolder(fleet_repo):
    sub = fleet_repo.root / "fleets" / "east"
    sub.mkdir(parents=True)
    for name in ("reconciler.yaml", "customers"):
        (fleet_repo.root / name).rename(sub / name)
    fleet_repo.commit("move fleet into fleets/east")
    fleet_repo.replace("fleets/east/customers/acme.yaml", "day: 31", "day: 5")
    assert changed_files(sub, "HEAD") == {"customers/acme.yaml"}
    assert "customers/acme.yaml" in tree_entries(sub, "HEAD")


def test_unknown_ref_is_a_clear_error(fleet_repo):
    with pytest.raises(ReconcilerError, match=r"unknown git ref 'origin/nope'"):
        changed_files(fleet_repo.root, "origin/nope")


def test_option_like_ref_is_refused(fleet_repo):
    with pytest.raises(ReconcilerError, match="unknown git ref"):
        changed_files(fleet_repo.root, "--output=/tmp/x")


def test_not_a_git_repository_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ReconcilerError, match="not inside a git repository"):
        changed_files(tmp_path, "HEAD")


def test_fleet_at_a_ref_ignores_the_working_tree(fleet_repo):
    first = fleet_repo.git("rev-parse", "HEAD")
    fleet_repo.replace("customers/acme.yaml", "day: 31", "day: 5")
    fleet_repo.commit("acme day 5")
    fleet_repo.replace("customers/acme.yaml", "day: 5", "day: 7")  # uncommitted
    acme = {c.slug: c for c in fleet_at(fleet_repo.root, first).customers}["acme"]
    assert acme.policy.billing.day == 31
    head = {c.slug: c for c in fleet_at(fleet_repo.root, "HEAD").customers}["acme"]
    assert head.policy.billing.day == 5
    assert fleet_at(fleet_repo.root, "HEAD").root == fleet_repo.root


def test_fleet_invalid_at_ref_names_the_ref_and_the_problem(fleet_repo):
    fleet_repo.replace("customers/acme.yaml", "day: 31", "day: 45")
    fleet_repo.commit("bad day")
    with pytest.raises(FleetInvalidAtRef, match=r"configuration at HEAD is invalid: .*acme\.yaml"):
        fleet_at(fleet_repo.root, "HEAD")


def test_no_fleet_at_ref(fleet_repo):
    (fleet_repo.root / "reconciler.yaml").unlink()
    fleet_repo.commit("remove settings")
    with pytest.raises(NoFleetAtRef, match=r"no reconciler\.yaml at HEAD"):
        fleet_at(fleet_repo.root, "HEAD")
