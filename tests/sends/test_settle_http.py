"""Settling a duplicate over real HTTP on 127.0.0.1: `reconciler run-due` against a served
sandbox whose API member may not PATCH tickets (a simulated 403) reports a warning row
for that key, exits 0 and sends everything else; once the role allows it, the next run
settles the duplicate (marked and closed, never deleted)."""

from __future__ import annotations

import json

from reconciler.sandbox import create_app, serve
from tests.sends import world
from tests.served_fleet import cw_env, make_fleet, run_inprocess, writes

AT = "2026-12-01T06:30"
KEY = "tmrm:billing:ACME:2026-10"  # billed on November 30th (day 31: the month before)


def run_due(root, at=AT):
    done = run_inprocess(root, ["run-due", "--at", at, "--customer", "acme", "--format",
                                "json"], cw_env("sandbox-private"))
    rows = json.loads(done.stdout)
    return done, rows.get("results", rows) if isinstance(rows, dict) else rows


def test_a_refused_settlement_is_a_warning_and_the_next_run_settles(tmp_path):
    app = create_app(seed=None)
    with serve(app) as url:
        root = make_fleet(tmp_path / "fleet", url)
        applied = run_inprocess(root, ["apply", "--yes", "--customer", "acme"],
                                cw_env("sandbox-private"))
        assert applied.exit_code == 0, applied.text()
        first, rows = run_due(root)
        assert first.exit_code == 0 and {r["outcome"] for r in rows} == {"sent"}
        dup = world.client(app).post("/service/tickets", {
            "summary": "Trend Micro billing 2026-10", "company": {"identifier": "ACME"},
            "externalXRef": KEY})  # a racing run's ticket, never settled
        app.faults.forbid("PATCH", r"^service/tickets/\d+$")
        mark = len(app.request_log)
        refused, rows = run_due(root)
        assert refused.exit_code == 0, refused.text()
        [warning] = [r for r in rows if r["outcome"] == "warning"]
        assert (warning["customer"], warning["kind"], warning["period"], warning["key"]) == (
            "acme", "billing", "2026-10", KEY)
        assert f"duplicate ticket #{dup['id']}" in warning["detail"]
        assert "(403" in warning["detail"] and "Close Service Tickets" in warning["detail"]
        assert {r["outcome"] for r in rows} == {"already_sent", "warning"}
        assert writes(app, mark) == [("PATCH", f"/v4_6_release/apis/3.0/service/tickets/"
                                               f"{dup['id']}")]  # tried, refused; no DELETE
        app.faults.allow_all()
        settled, rows = run_due(root)
        assert settled.exit_code == 0
        billing = next(r for r in rows if r["key"] == KEY)
        assert billing["outcome"] == "already_sent"
        assert f"settled duplicate ticket #{dup['id']}" in billing["detail"]
        assert not any(method == "DELETE" for method, _ in app.request_log)
        loser = next(t for t in world.tickets(app) if t["id"] == dup["id"])
        assert world.settled_loser(loser) and loser["externalXRef"] == KEY
