"""reconciler.review.history and `reconciler history`, on a throwaway git repository."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.errors import ReconcilerError
from reconciler.review.history import history
from reconciler.review.render import history_text
from tests.processes import QUICK_TIMEOUT

BOB = "Bob Billing <bob@example.com>"


@pytest.fixture
def story(fleet_repo):
    """A fleet with a few years' worth of edits compressed into seven commits."""
    r = fleet_repo
    ids = {"init": r.git("rev-parse", "HEAD")}
    r.replace("customers/acme.yaml", "day: 31", "day: 5")
    ids["acme5"] = r.commit("Acme bills on the 5th", author=BOB)
    r.replace("reconciler.yaml", "    day: 1\n", "    day: 3\n")
    ids["global3"] = r.commit("Global billing day 3")
    r.write("NOTES.md", "not part of the fleet\n")
    ids["notes"] = r.commit("Notes")
    r.replace("customers/acme.yaml", "products: [wfbss, apex-one]", "products: [apex-one, wfbss]")
    ids["reorder"] = r.commit("Reorder acme products")
    r.replace("customers/acme.yaml", "day: 5", "day: 45")
    ids["broken"] = r.commit("Typo in acme")
    r.replace("customers/acme.yaml", "day: 45", "day: 7")
    ids["fixed"] = r.commit("Fix acme day", author=BOB)
    return r, ids


def test_customer_history_newest_first_with_semantic_changes(story):
    repo, ids = story
    entries = history(repo.root, "acme").entries
    assert [e.commit for e in entries] == [ids["fixed"], ids["broken"], ids["acme5"], ids["init"]]
    fixed, broken, acme5, init = entries
    assert fixed.changes[0].sentences == ("billing day 5 -> 7",)
    assert fixed.compared_with == ids["reorder"]  # the parent did not load
    assert broken.error.startswith(f"config invalid at {ids['broken'][:7]}: ")
    assert "acme.yaml" in broken.error
    assert acme5.changes[0].sentences == ("billing day 31 -> 5",)
    assert (acme5.author, acme5.email) == ("Bob Billing", "bob@example.com")
    assert acme5.date == "2026-11-02T09:00:00+00:00"
    assert acme5.files == ("customers/acme.yaml",)
    assert init.changes[0].sentences[0] == "customer added"


def test_global_settings_edit_is_in_every_global_customers_history(story):
    repo, ids = story
    entries = history(repo.root, "globex").entries
    # Acme's broken commit is not in Globex's history: Globex's configuration still loads.
    assert [e.commit for e in entries] == [ids["global3"], ids["init"]]
    assert entries[0].files == ("reconciler.yaml",)
    assert entries[0].changes[0].sentences == ("billing day 1 -> 3",)
    everyone = history(repo.root).entries
    global3 = next(e for e in everyone if e.commit == ids["global3"])
    assert sorted(c.slug for c in global3.changes) == ["globex", "soylent", "wayne"]


def test_company_id_selects_the_customer_and_since_limits(story):
    repo, ids = story
    assert [e.commit for e in history(repo.root, "ACME", since=ids["acme5"]).entries] == [
        ids["fixed"],
        ids["broken"],
    ]


def test_unknown_customer_is_a_clear_error(story):
    repo, _ = story
    with pytest.raises(ReconcilerError, match="customer 'nobody' does not appear in the history"):
        history(repo.root, "nobody")


def test_text_output(story):
    repo, ids = story
    text = history_text(history(repo.root, "acme", since=ids["reorder"]))
    assert text.splitlines()[:3] == [
        f"{ids['fixed'][:7]}  2026-11-07T09:00:00+00:00  Bob Billing  Fix acme day",
        f"    (compared with {ids['reorder'][:7]}, the last valid configuration)",
        "    acme: billing day 5 -> 7",
    ]


def test_empty_repository_history(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=QUICK_TIMEOUT)
    assert history(tmp_path).entries == ()
    assert history_text(history(tmp_path)) == "No commit changed any customer's effective policy.\n"


def test_cli_json(story):
    repo, ids = story
    result = CliRunner().invoke(
        cli, ["--root", str(repo.root), "history", "acme", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["format_version"] == 1 and data["customer"] == "acme"
    newest = data["commits"][0]
    assert newest["commit"] == ids["fixed"] and newest["short"] == ids["fixed"][:7]
    assert newest["author"] == {"name": "Bob Billing", "email": "bob@example.com"}
    assert newest["customers"][0]["changes"][0]["text"] == "billing day 5 -> 7"


def test_cli_not_a_repository_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "history"])
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and "not inside a git repository" in result.output
    assert "Traceback" not in result.output


def test_customer_added_later_and_removed(fleet_repo):
    acme = fleet_repo.read("customers/acme.yaml")
    fleet_repo.write(
        "customers/zeta.yaml",
        acme.replace("company: ACME", "company: ZETA").replace(
            "6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01", "zeta-1"
        ),
    )
    added = fleet_repo.commit("Add Zeta")
    (fleet_repo.root / "customers/zeta.yaml").unlink()
    removed = fleet_repo.commit("Zeta leaves", author=BOB)
    for who in ("zeta", "ZETA"):  # by file name (fast path) and by company id (full walk)
        entries = history(fleet_repo.root, who).entries
        assert [e.commit for e in entries] == [removed, added]
        assert entries[0].changes[0].sentences == ("customer removed",)
        assert entries[1].changes[0].sentences[0] == "customer added"


def test_fleet_in_a_subfolder_of_the_repository(fleet_repo):
    sub = fleet_repo.root / "fleets" / "east"
    sub.mkdir(parents=True)
    for name in ("reconciler.yaml", "customers"):
        (fleet_repo.root / name).rename(sub / name)
    fleet_repo.commit("Move the fleet into fleets/east")
    fleet_repo.replace("fleets/east/customers/acme.yaml", "day: 31", "day: 5")
    edited = fleet_repo.commit("Acme day 5")
    fleet_repo.write("elsewhere/customers/acme.yaml", "not this fleet\n")
    fleet_repo.commit("Another folder")
    for who in ("acme", "ACME", None):
        entries = history(sub, who).entries
        assert entries[0].commit == edited, who
        assert entries[0].files == ("customers/acme.yaml",)
        assert entries[0].changes[0].sentences == ("billing day 31 -> 5",)


def test_text_output_drops_terminal_control_characters(fleet_repo):
    fleet_repo.replace("customers/acme.yaml", "day: 31", "day: 5")
    fleet_repo.commit("Acme \x1b[2J day 5", author="Eve \x1b]0;x\x07 <eve@example.com>")
    line = history_text(history(fleet_repo.root, "acme")).splitlines()[0]
    assert "\x1b" not in line and "\x07" not in line
    assert "Acme ?[2J day 5" in line
