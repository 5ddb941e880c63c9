"""reconciler.review.service + render: the policy review of a branch against its base."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from reconciler.config import load_fleet
from reconciler.errors import ReconcilerError
from reconciler.review import policy_review, review_json, review_markdown, review_text

AT = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("America/New_York"))


def review(repo, ref="main"):
    return policy_review(repo.root, ref, load_fleet(repo.root), at=AT)


def test_working_tree_change_against_main(fleet_repo):
    fleet_repo.git("checkout", "-q", "-b", "feature")
    fleet_repo.replace("customers/acme.yaml", "day: 31", "day: 5")
    fleet_repo.replace("customers/acme.yaml", "products: [wfbss, apex-one]", "products: [wfbss]")
    got = review(fleet_repo)
    assert [c.slug for c in got.changes] == ["acme"]
    (acme,) = got.changes
    assert acme.sentences == ("billing day 31 -> 5", "billing products removed: apex-one")
    # October's billing was due November 30th under day 31, November 5th under day 5:
    # the next run sends it
    assert acme.moves == (
        "next billing moves from 2026-11-30 06:00 -05:00 (for 2026-10) "
        "to the next run (for 2026-10)",
    )
    text = review_text(got)
    assert text.startswith("Policy changes since main (")
    assert "  acme (Acme Corporation, ConnectWise ACME):\n    - billing day 31 -> 5\n" in text


def test_global_settings_change_lists_every_global_customer(fleet_repo):
    fleet_repo.replace("reconciler.yaml", "    day: 1\n", "    day: 3\n")
    got = review(fleet_repo, "HEAD")
    globals_ = sorted(
        c.slug for c in load_fleet(fleet_repo.root).customers if c.settings == "global"
    )
    assert globals_ and [c.slug for c in got.changes] == globals_
    assert all(c.sentences == ("billing day 1 -> 3",) for c in got.changes)


def test_no_changes(fleet_repo):
    got = review(fleet_repo, "HEAD")
    assert got.changes == ()
    assert review_text(got).endswith(": none\n")
    assert "No customer's effective policy changes." in review_markdown(got)


def test_invalid_settings_at_base_is_a_note_not_a_failure(fleet_repo):
    good = fleet_repo.read("reconciler.yaml")
    fleet_repo.replace("reconciler.yaml", 'send_at: "06:00"', 'send_at: "6 am"')
    fleet_repo.commit("broken settings")
    fleet_repo.write("reconciler.yaml", good)
    got = review(fleet_repo, "HEAD")
    assert got.changes == () and "configuration at HEAD is invalid" in got.note
    assert "not compared" in review_text(got)


def test_customer_file_with_errors_is_skipped_not_added_or_removed(fleet_repo):
    good = fleet_repo.read("customers/acme.yaml")
    fleet_repo.replace("customers/acme.yaml", "day: 31", "day: 45")
    fleet_repo.commit("acme broken at base")
    fleet_repo.write("customers/acme.yaml", good)  # fixed in the working tree ...
    fleet_repo.replace("customers/hooli.yaml", "day: 30", "day: 99")  # ... hooli broken
    fleet_repo.replace("customers/initech.yaml", "day: 15", "day: 16")
    head = load_fleet(fleet_repo.root, partial=True)
    got = policy_review(fleet_repo.root, "HEAD", head, at=AT)
    assert [c.slug for c in got.changes] == ["initech"]
    assert got.skipped == ("acme", "hooli")
    assert "  not compared (the file has errors): acme, hooli\n" in review_text(got)
    assert "Not compared (the file has errors): acme, hooli" in review_markdown(got)
    assert json.loads(review_json(got))["skipped"] == ["acme", "hooli"]


def test_unknown_base_ref(fleet_repo):
    with pytest.raises(ReconcilerError, match="unknown git ref 'origin/main'"):
        review(fleet_repo, "origin/main")


def test_markdown_escapes_names_and_stays_under_the_limit(fleet_repo):
    fleet_repo.replace("customers/acme.yaml", "name: Acme Corporation", "name: <b>Acme</b> | x")
    fleet_repo.replace("reconciler.yaml", "    day: 1\n", "    day: 3\n")
    got = review(fleet_repo, "HEAD")
    md = review_markdown(got)
    assert "\\<b\\>Acme\\</b\\> \\| x" in md and "<b>" not in md
    short = review_markdown(got, max_chars=400)
    assert len(short) <= 400
    assert "more customer(s) not shown: see the full plan artifact" in short


def test_json_has_format_version_and_values(fleet_repo):
    fleet_repo.replace("customers/acme.yaml", "every: week", "every: day")
    data = json.loads(review_json(review(fleet_repo, "HEAD")))
    assert data["format_version"] == 1
    assert data["base_commit"] == fleet_repo.git("rev-parse", "HEAD")
    (acme,) = data["customers"]
    assert acme["changes"] == [
        {
            "path": "hosted_email_security.every",
            "old": "week",
            "new": "day",
            "text": "hosted email security every week -> day",
        }
    ]
    assert acme["moves"][0].startswith("next hosted email security summary moves from")
