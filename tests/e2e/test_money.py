"""Money is never wrong with exit 0 (issue 11), over real HTTP: the sandbox served on
127.0.0.1 behind one holding proxy per run (tests/holding.py), so that "one run stalls
while another bills" or "two applies create at the same moment" happen the same way on
every run. Each test is a finding of the review, and failed on the commit before the fix.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import pytest

from reconciler.connectwise.gateway.duplicates import marked_winner
from reconciler.runtime import open_runtime
from reconciler.sandbox import create_app, serve
from reconciler.schedule import parse_instant, zone
from reconciler.sends import run_due
from reconciler.sources import open_sources
from tests.holding import DEADLINE, Gate, HoldingProxy
from tests.served_fleet import cw_env, make_fleet, run_inprocess

ENV = cw_env("sandbox-private")
API = "/v4_6_release/apis/3.0"
STARK_AGREEMENT = 111  # Stark Managed Security: wfbss and hes, billed on day 1
ACME_ENDPOINT = 102  # ACME Endpoint Protection (Managed Service)


class Site:
    """One sandbox, reached by several fleets, each through its own proxy."""

    def __init__(self, tmp_path: Path, stack: ExitStack) -> None:
        self.app = create_app(seed=None)
        self.tmp_path = tmp_path
        self.stack = stack

    def fleet(self, name: str, *gates: Gate) -> Path:
        url = self.stack.enter_context(serve(HoldingProxy(self.app, list(gates))))
        return make_fleet(self.tmp_path / name, url, copy_data=True)

    def additions(self, agreement_id: int) -> list[dict]:
        with self.app.store.session() as state:
            return [a for a in state.records("additions")
                    if a.get("agreementId") == agreement_id]

    def live(self, agreement_id: int, item: str) -> list[dict]:
        return [a for a in self.additions(agreement_id)
                if a["product"]["identifier"] == item and not a.get("cancelledDate")]

    def sends_of(self, prefix: str) -> list[str]:
        """Keys of the tickets that record sends (settled duplicates left out)."""
        with self.app.store.session() as state:
            return [t["externalXRef"] for t in state.records("tickets")
                    if (t.get("externalXRef") or "").startswith(prefix)
                    and marked_winner(t.get("summary") or "") is None]

    def ticket_keys(self) -> list[str]:
        with self.app.store.session() as state:
            return [t.get("externalXRef") or "" for t in state.records("tickets")]


@pytest.fixture
def site(tmp_path) -> Iterator[Site]:
    with ExitStack() as stack:
        yield Site(tmp_path, stack)


def cli(root: Path, *args: str):
    return run_inprocess(root, list(args), ENV)


def usage_units(root: Path, customer: str, month: str) -> dict[str, float]:
    """What the fleet's usage files say a customer used in a month, per product key."""
    with open_runtime(root, env=ENV) as rt:
        who = next(c for c in rt.fleet.customers if c.slug == customer)
        usage = rt.usage.usage(int(month[:4]), int(month[5:]))
        return {p: usage.chargeable(who.trend_micro_id, p) for p in who.billed_products}


def run_due_in_thread(root: Path, at: str, customer: str) -> tuple[threading.Thread, list]:
    """run-due for one customer on its own runtime (its own client and connections: as a
    second process would), in a thread; the report lands in the returned list."""
    out: list = []

    def go() -> None:
        with open_runtime(root, env=ENV, client_options={
                "rate_limit_per_minute": None, "timeout": DEADLINE + 60}) as rt:
            usage, detections = open_sources(rt.fleet, ENV)
            when = parse_instant(at, zone(rt.fleet.settings.timezone))
            chosen = [c for c in rt.fleet.customers if c.slug == customer]
            out.append(run_due(rt.fleet, rt.gateway, when, usage=usage,
                               detections=detections, customers=chosen))

    thread = threading.Thread(target=go, name=f"run-due {at}")
    thread.start()
    return thread, out


def billed_month(run) -> str:
    """The latest month a run-due (JSON) billed."""
    return max(r["period"] for r in json.loads(run.stdout)["results"] if r["kind"] == "billing"
               and r["outcome"] == "sent")


def stark_holds(site: Site) -> dict[str, float]:
    return {a["product"]["identifier"]: a["quantity"]
            for a in site.additions(STARK_AGREEMENT) if not a.get("cancelledDate")}


def test_finding_1_a_stale_patch_of_a_stalled_run_never_stays(site):
    """One run checks a month's billing key, stalls (its PATCH held), another run bills
    the next month meanwhile; the stalled PATCH lands after it. The additions must end at
    the later month's units, and plan must show nothing to do."""
    held = Gate("PATCH", rf"/finance/agreements/{STARK_AGREEMENT}/additions/\d+$")
    slow = site.fleet("slow", held)
    fast = site.fleet("fast")
    assert cli(fast, "apply", "--yes").exit_code == 0
    assert cli(fast, "run-due", "--at", "2026-10-01T12:00", "--customer", "stark"
               ).exit_code == 0  # STARK has a billing history
    thread, report = run_due_in_thread(slow, "2026-11-01T12:00", "stark")
    held.wait_arrived()  # the slow run read the key and is writing its month's units
    later = cli(fast, "run-due", "--at", "2026-12-01T12:00", "--customer", "stark",
                "--format", "json")
    assert later.exit_code == 0, later.text()
    held.release()
    thread.join(DEADLINE)
    assert not thread.is_alive() and report and report[0].ok, report
    units = usage_units(fast, "stark", billed_month(later))
    assert stark_holds(site) == {"TM-WFBSS": units["wfbss"], "TM-HES": units["hes"]}
    billings = site.sends_of("tmrm:billing:STARK:")
    assert len(billings) == len(set(billings)) == 3  # each month once (racing duplicates
    # are settled: marked as duplicates of the first)
    plan = cli(fast, "plan", "--customer", "stark", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.text()


def test_finding_2_a_back_dated_run_never_rolls_quantities_back(site):
    """After a missed month, a run `--at` a date before the later billings ("send it by
    hand") must not write that month's units over later ones, nor start a series of old
    summaries that the next run then catches up in a burst."""
    root = site.fleet("fleet")
    assert cli(root, "apply", "--yes").exit_code == 0
    assert cli(root, "run-due", "--at", "2026-11-01T12:00", "--customer", "stark"
               ).exit_code == 0
    latest = cli(root, "run-due", "--at", "2026-12-01T12:00", "--customer", "stark",
                 "--format", "json")
    units = usage_units(root, "stark", billed_month(latest))
    before = sorted(site.ticket_keys())
    back = cli(root, "run-due", "--at", "2026-10-01T12:00", "--customer", "stark")
    assert sorted(site.ticket_keys()) == before, back.text()  # nothing sent
    assert stark_holds(site) == {"TM-WFBSS": units["wfbss"], "TM-HES": units["hes"]}
    after = cli(root, "run-due", "--at", "2026-12-01T13:00", "--customer", "stark",
                "--format", "json")
    assert after.exit_code == 0 and {r["outcome"] for r in json.loads(after.stdout)["results"]} == {
        "already_sent"}  # no burst either


def test_finding_3_a_moved_product_keeps_its_billed_units(site):
    """Moving a billed product to another agreement: the new addition carries the billed
    units (never 0), plan shows nothing left, run-due finds it billed."""
    root = site.fleet("fleet")
    assert cli(root, "apply", "--yes").exit_code == 0
    sent = cli(root, "run-due", "--at", "2026-12-01T12:00", "--customer", "acme",
               "--format", "json")
    billed = usage_units(root, "acme", billed_month(sent))["wfbss"]
    acme = root / "customers" / "acme.yaml"
    acme.write_text(acme.read_text().replace(
        "  wfbss: default\n",
        "  wfbss:\n    type: Managed Service\n    name: ACME Endpoint Protection\n"))
    assert cli(root, "apply", "--yes", "--customer", "acme").exit_code == 0
    [moved] = site.live(ACME_ENDPOINT, "TM-WFBSS")
    assert moved["quantity"] == billed
    assert cli(root, "plan", "--customer", "acme", "--detailed-exitcode").exit_code == 0
    again = cli(root, "run-due", "--at", "2026-12-01T13:00", "--customer", "acme",
                "--format", "json")
    assert again.exit_code == 0 and '"already_sent"' in again.text()


def test_finding_6_two_applies_at_once_leave_one_addition_and_a_third_converges(site):
    """A hand-run apply overlapping CI's: both planned the same create and both create it
    at the same moment (their POSTs held until both arrived). Exactly one live addition
    must stay, and a later apply finds nothing to do (never refused by a threshold)."""
    both = Gate("POST", rf"/finance/agreements/{ACME_ENDPOINT}/additions$", times=2, parties=2)
    first, second = site.fleet("ci", both), site.fleet("by-hand", both)
    results: dict[str, object] = {}

    def apply(name: str, root: Path) -> None:
        results[name] = apply_yes(root)

    threads = [threading.Thread(target=apply, args=(n, r))
               for n, r in (("ci", first), ("by-hand", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    assert both.arrived == 2  # both really created at once
    assert len(results) == 2 and not any(r.failed for r in results.values()), results
    assert len(site.live(ACME_ENDPOINT, "TM-APEXONE")) == 1
    assert len([a for a in site.additions(ACME_ENDPOINT)
                if a["product"]["identifier"] == "TM-APEXONE"]) == 2  # one cancelled
    third = cli(first, "apply", "--yes")
    assert third.exit_code == 0 and "Nothing to apply." in third.text(), third.text()


def apply_yes(root: Path):
    """`apply --yes` on its own runtime (its own client and connections, as a second
    process would; click's runner cannot run two commands at once in one process)."""
    from reconciler.apply import apply_plan
    from reconciler.domain.selection import select
    from reconciler.plan.service import make_plan

    with open_runtime(root, env=ENV, client_options={
            "rate_limit_per_minute": None, "timeout": DEADLINE + 60}) as rt:
        now = datetime.fromisoformat("2026-11-25T12:00:00-05:00")
        plan = make_plan(rt.fleet, rt.gateway, select(rt.fleet), now=now)
        return apply_plan(plan, rt.gateway, today=now.date())


def set_usage(root: Path, month: str, customer_id: str, product_name: str,
              used: int | None) -> None:
    """Rewrite one usage row of the fleet's copy of the data (None: drop the row)."""
    path = root / "data" / "usage" / f"{month}.csv"
    lines = []
    for line in path.read_text().splitlines():
        cells = line.split(",")
        if cells[0] == customer_id and cells[1] == product_name:
            if used is None:
                continue
            cells[-1] = str(used)
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")


def rows(run) -> list[dict]:
    return json.loads(run.stdout)["results"]


ACME_TM = "6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01"
STARK_TM = "2c5f8a1d-6e3b-4d97-b2a8-9f1e4c6d8b06"
WFBSS = "Worry-Free Business Security Services"


def test_finding_4_a_case_only_rename_of_the_company_changes_nothing(site):
    """ACME -> acme in the customer file: earlier keys are still found, so the guardrail
    holds a quantity falling from 42 to 1 and the weekly gaps since are all sent, under
    keys with the identifier as ConnectWise holds it."""
    root = site.fleet("fleet")
    assert cli(root, "apply", "--yes").exit_code == 0
    first = cli(root, "run-due", "--at", "2026-11-30T12:00", "--customer", "acme")
    assert "billing" in first.text() and "sent" in first.text(), first.text()
    acme = root / "customers" / "acme.yaml"
    acme.write_text(acme.read_text().replace("company: ACME", "company: acme"))
    for month in ("2026-11", "2026-12"):  # whichever month the next billing bills
        set_usage(root, month, ACME_TM, WFBSS, 1)
    later = cli(root, "run-due", "--at", "2026-12-31T12:00", "--customer", "acme",
                "--format", "json")
    assert later.exit_code == 1, later.text()
    [billing] = [r for r in rows(later) if r["kind"] == "billing"]
    assert billing["outcome"] == "held" and re.search(r"wfbss 4\d -> 1 ", billing["detail"])
    weekly = sorted(r["period"] for r in rows(later)
                    if r["kind"] == "hosted_email_security" and r["outcome"] == "sent")
    assert weekly == ["2026-W49", "2026-W50", "2026-W51", "2026-W52"]  # every gap
    new = [k for k in site.ticket_keys() if k.startswith("tmrm:hes:") and "W5" in k]
    assert new and all(":ACME:" in k for k in new)  # ConnectWise's spelling


def test_a_missed_period_stays_reported_until_sent_by_hand_or_waived(site):
    """Beyond the look-back a period is `missed` on every run (exit 1), not once; send-now
    --period sends a month by hand (a ticket only: a later month is billed) and `waive`
    records in ConnectWise that a summary is not to be sent; then runs are clean."""
    root = site.fleet("fleet")
    settings = root / "reconciler.yaml"
    settings.write_text(re.sub(r"(?m)^lookback_days: \d+$", "lookback_days: 10",
                               settings.read_text()))
    assert cli(root, "apply", "--yes").exit_code == 0
    assert cli(root, "run-due", "--at", "2026-10-01T12:00", "--customer", "stark"
               ).exit_code == 0
    # the run of November 1st never happened: October's billing and summary are missed
    first = cli(root, "run-due", "--at", "2026-12-01T12:00", "--customer", "stark",
                "--format", "json")
    missed = {(r["kind"], r["period"]) for r in rows(first) if r["outcome"] == "missed"}
    assert first.exit_code == 1 and len(missed) == 2, first.text()
    latest = billed_month(first)
    for hour in ("13", "14"):  # every later run says so again
        again = cli(root, "run-due", "--at", f"2026-12-01T{hour}:00", "--customer", "stark",
                    "--format", "json")
        assert again.exit_code == 1
        assert {(r["kind"], r["period"]) for r in rows(again)
                if r["outcome"] == "missed"} == missed
    [(_, month)] = [m for m in missed if m[0] == "billing"]
    by_hand = cli(root, "send-now", "billing", "--customer", "stark", "--period", month,
                  "--at", "2026-12-01T15:00")
    assert by_hand.exit_code == 0 and "ticket only" in by_hand.text(), by_hand.text()
    units = usage_units(root, "stark", latest)
    assert stark_holds(site) == {"TM-WFBSS": units["wfbss"], "TM-HES": units["hes"]}
    [(_, summary)] = [m for m in missed if m[0] == "email_security"]
    waived = cli(root, "waive", "email_security", "--customer", "stark", "--period", summary,
                 "--reason", "customer had no mailboxes yet")
    assert waived.exit_code == 0, waived.text()
    assert f"tmrm:waived-tmems:STARK:{summary}" in site.ticket_keys()
    clean = cli(root, "run-due", "--at", "2026-12-01T16:00", "--customer", "stark")
    assert clean.exit_code == 0, clean.text()


def test_a_new_customers_failed_first_month_is_never_dropped(site):
    """Stark's usage is missing for its first months: the first billing fails, and the
    run a month later still reports it (failed, retried), never quietly moves on."""
    root = site.fleet("fleet")
    for month in ("2026-10", "2026-11"):
        set_usage(root, month, STARK_TM, WFBSS, None)
    assert cli(root, "apply", "--yes").exit_code == 0
    first = cli(root, "run-due", "--at", "2026-11-01T12:00", "--customer", "stark",
                "--format", "json")
    [failed] = [r for r in rows(first) if r["kind"] == "billing"]
    assert first.exit_code == 1 and failed["outcome"] == "failed"
    later = cli(root, "run-due", "--at", "2026-12-01T12:00", "--customer", "stark",
                "--format", "json")
    assert later.exit_code == 1, later.text()
    billing = {r["period"]: r["outcome"] for r in rows(later) if r["kind"] == "billing"}
    assert billing.get(failed["period"]) == "failed", billing


def test_the_policy_review_of_a_frequency_switch_is_what_run_due_then_does(site):
    """README's example: weekly Hosted Email Security summaries switched to daily on a
    Wednesday. The review names the days the next run catches up; run-due sends exactly
    those (no day a weekly summary covered, nothing missed), then one a day."""
    from reconciler.config import load_fleet
    from reconciler.review.moves import sends_moved

    root = site.fleet("fleet")
    assert cli(root, "apply", "--yes").exit_code == 0
    assert cli(root, "run-due", "--at", "2026-11-23T12:00", "--customer", "acme"
               ).exit_code == 0  # the weekly summary of W47 went out
    base = load_fleet(root)
    acme = root / "customers" / "acme.yaml"
    acme.write_text(acme.read_text().replace("every: week", "every: day"))
    head = load_fleet(root)
    at = datetime.fromisoformat("2026-11-25T12:00:00-05:00")

    def of(fleet):
        return next(c for c in fleet.customers if c.slug == "acme"), fleet.settings

    [moved] = [m for m in sends_moved(of(base), of(head), at) if "hosted email" in m]
    assert moved.endswith("to the next run (for 2026-11-23, 2026-11-24)"), moved
    run = cli(root, "run-due", "--at", at.isoformat(), "--customer", "acme", "--format",
              "json")
    assert run.exit_code == 0, run.text()
    hes = [(r["period"], r["outcome"]) for r in rows(run)
           if r["kind"] == "hosted_email_security"]
    assert hes == [("2026-11-23", "sent"), ("2026-11-24", "sent")]
    next_day = cli(root, "run-due", "--at", "2026-11-26T12:00", "--customer", "acme",
                   "--format", "json")
    assert [(r["period"], r["outcome"]) for r in rows(next_day)
            if r["kind"] == "hosted_email_security"] == [("2026-11-25", "sent")]


def test_finding_5_bad_usage_data_fails_its_customer_never_the_run(site):
    """A duplicated row, `1e308`, `1_7`, Arabic-Indic digits and a 200 KiB field: each
    fails that customer's billing naming file:line; nothing is summed, read as 17 or
    billed as a 309-digit quantity; the run goes on and reports every send it made."""
    root = site.fleet("fleet")
    assert cli(root, "apply", "--yes").exit_code == 0
    bad = {  # customer id -> what its wfbss row becomes
        ACME_TM: "dup",
        STARK_TM: "1e308",
        "5b9c3e7a-2d8f-4a16-8c4b-1a7e9d3f5c07": "1_7",  # wayne
        "0b7d5e3c-8f2a-4e19-b6c4-2d9a7f1e5b02": "\u0661\u0661\u0668",  # globex
        "8f4d1b6c-9a2e-4c58-b3f7-5d0a8e2c6f08": "huge",  # vandelay
    }
    for month in ("2026-10", "2026-11", "2026-12"):  # whichever month each run bills
        path = root / "data" / "usage" / f"{month}.csv"
        lines = []
        for line in path.read_text().splitlines():
            cells = line.split(",")
            how = bad.get(cells[0]) if cells[1] == WFBSS else None
            if how == "dup":
                lines.append(line)
            elif how == "huge":
                cells[2] = "x" * (200 * 1024)
            elif how is not None:
                cells[-1] = how
            lines.append(",".join(cells))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = cli(root, "run-due", "--at", "2026-12-01T12:00", "--format", "json")
    assert run.exit_code == 1 and "internal error" not in run.text(), run.text()
    billing = {r["customer"]: r for r in rows(run) if r["kind"] == "billing"}
    broken = {"acme": "reported twice", "stark": "'1e308' is not a number",
              "wayne": "'1_7' is not a number", "globex": "is not a number",
              "vandelay": "service_plan is 204,800 characters long"}
    for slug, says in broken.items():
        assert billing[slug]["outcome"] == "failed" and says in billing[slug]["detail"], slug
        assert re.search(r"data/usage/2026-1\d\.csv:\d+", billing[slug]["detail"]), slug
        assert not [k for k in site.ticket_keys() if k.startswith(
            f"tmrm:billing:{slug.upper()}:")]
    sent = {slug for slug, r in billing.items() if r["outcome"] == "sent"}
    assert sent == {"hooli", "initech", "umbrella"}  # the others billed, and reported
    summaries = [r for r in rows(run) if r["kind"] != "billing"]
    assert summaries and {r["outcome"] for r in summaries} == {"sent"}
