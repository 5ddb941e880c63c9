"""`reconciler schedule`: upcoming sends, as a table or JSON."""

import json
from datetime import datetime

from tests.sends.world import REPO, cli


def test_json_lists_sends_with_offsets_in_due_order():
    result = cli(REPO, "schedule", "--from", "2026-11-29", "--to", "2026-11-30",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert set(output) == {"format_version", "from", "to", "sends"}
    assert (output["format_version"], output["from"], output["to"]) == (
        1, "2026-11-29", "2026-11-30")
    rows = output["sends"]
    assert all(set(r) == {"customer", "company", "kind", "period", "due"} for r in rows)
    # billing on day X of a month bills the month before (contract 2)
    assert {"customer": "umbrella", "company": "UMBRELLA", "kind": "billing",
            "period": "2026-10", "due": "2026-11-29T06:00:00-05:00"} in rows
    assert {"customer": "acme", "company": "ACME", "kind": "billing", "period": "2026-10",
            "due": "2026-11-30T06:00:00-05:00"} in rows  # day 31 -> Nov 30
    dues = [datetime.fromisoformat(r["due"]) for r in rows]
    assert dues == sorted(dues) and all(d.utcoffset() is not None for d in dues)
    assert "soylent" not in {r["customer"] for r in rows}  # disabled


def test_text_table_and_customer_filter():
    result = cli(REPO, "schedule", "--from", "2026-12-01", "--to", "2026-12-01",
                 "--customer", "stark")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "DUE                     CUSTOMER  COMPANY  KIND     PERIOD",
        "2026-12-01T06:00-05:00  stark     STARK    billing  2026-11",
        "2026-12-01T06:00-05:00  stark     STARK    tmems    2026-11",
        "2 sends",
    ]


def test_bad_dates_are_clear():
    result = cli(REPO, "schedule", "--from", "2026-12-05", "--to", "2026-12-01")
    assert result.exit_code == 1 and "--to 2026-12-01 is before --from 2026-12-05" in result.output
    result = cli(REPO, "schedule", "--from", "12/01/2026")
    assert result.exit_code == 1 and "is not a date YYYY-MM-DD" in result.output
