"""A simulated year of hourly run-due runs: runs skipped (including a three-day outage),
repeated, and two at the same time. Every period is sent exactly once with the source's
quantities; the same holds against the sandbox with 20% 429/5xx/dropped connections."""

from __future__ import annotations

import random
import re
import sys
import threading
from datetime import date, datetime, timedelta

import pytest

from reconciler.sandbox import Faults
from reconciler.schedule import Clock, cadences
from reconciler.sends import run_due, send_key
from tests.sends import world
from tests.sends.fake_cw import FakeConnectWise

NY_CLOCK = Clock.of("America/New_York", "06:00")


def fake_world() -> FakeConnectWise:
    def agreement(aid, name, type_name, company):
        return {"id": aid, "name": name, "type": {"name": type_name},
                "company": {"identifier": company}, "agreementStatus": "Active"}

    def addition(aid, item, quantity):
        return {"id": aid, "product": {"identifier": item}, "quantity": quantity,
                "billCustomer": "Billable"}

    return FakeConnectWise(
        [agreement(108, "Hooli Trend Micro Bundle", "TMRM Management Solution", "HOOLI"),
         agreement(110, "Hooli SaaS Protection", "Managed Service", "HOOLI"),
         agreement(107, "Initech Email Security", "TMRM Management Solution", "INITECH"),
         agreement(111, "Stark Managed Security", "Managed Service", "STARK")],
        {108: [addition(1012, "TM-APEXONE", 295), addition(1013, "TM-EMS", 288)],
         110: [addition(1015, "TM-CAS", 290)],
         107: [addition(1008, "TM-EMS", 51)],
         111: [addition(1016, "TM-WFBSS", 70), addition(1017, "TM-HES", 75)]})


def expected_keys(fleet, start: datetime, end: datetime) -> set[str]:
    """First run: the latest period only; after that every period due until `end`."""
    keys = set()
    for customer in fleet.customers:
        for cadence in cadences(customer.policy):
            periods = [cadence.latest_due(start, NY_CLOCK),
                       *cadence.due_between(start, end, NY_CLOCK)]
            keys |= {send_key(cadence.kind, customer.company, p.label) for p in periods}
    return keys


def check_billing_units(description: str, company: str, label: str) -> None:
    """The units a billing ticket lists are the source's chargeable units."""
    slug = {"HOOLI": "hooli", "INITECH": "initech", "STARK": "stark"}[company]
    year, month = map(int, label.split("-"))
    for product, name in world.PRODUCT_NAMES.items():
        row = re.search(rf"^{re.escape(name)}\s+.+?\s+(\d+)\s+(\d+|-)\s+\w", description, re.M)
        customer = next(c for c in world.customers() if c.slug == slug)
        if product in customer.billed_products:
            assert row, f"{product} missing from {company} {label}"
            assert int(row.group(1)) == world.units(slug, product, year, month)


def simulate(make_client, fleet, usage, detections, start, end, *, seed: int,
             step_hours: int = 1, outage: tuple[datetime, datetime] | None = None):
    """Run run-due at every step from start to end; returns every result."""
    rng = random.Random(seed)
    results = []
    lock = threading.Lock()

    def one(at):
        report = run_due(fleet, make_client(), at, usage=usage, detections=detections)
        with lock:
            results.extend(report.results)

    at = start
    while at <= end:
        in_outage = outage is not None and outage[0] <= at < outage[1]
        draw = rng.random()
        if in_outage or (at != start and draw < 0.12):
            pass  # skipped run
        elif draw < 0.17 or (at.hour == 6 and at.day in (1, 15, 28, 30, 31)):
            # two runs at the same moment (always on billing days at send time)
            barrier = threading.Barrier(2)

            def racer(at=at, barrier=barrier):
                barrier.wait()
                one(at)

            threads = [threading.Thread(target=racer) for _ in range(2)]
            switch = sys.getswitchinterval()
            sys.setswitchinterval(1e-4)  # racing threads hand the GIL over quickly
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            sys.setswitchinterval(switch)
        else:
            one(at)
            if draw > 0.95:
                one(at)  # repeated
        at += timedelta(hours=step_hours)
    return results


def year_data(tmp_path, start: date, end: date) -> None:
    month = date(start.year, start.month, 1)
    while month <= end:
        world.write_usage(tmp_path, month.year, month.month)
        month = (month + timedelta(days=32)).replace(day=1)
    world.write_detections(tmp_path, start, end)


@pytest.mark.slow
def test_a_year_of_hourly_runs_sends_every_period_exactly_once(tmp_path):
    year_data(tmp_path, date(2025, 11, 1), date(2027, 1, 31))
    fleet = world.fleet(tmp_path, lookback_days=5)
    usage, detections = world.sources(fleet)
    cw = fake_world()
    # both DST changes of 2026, leap-less February, and past the year end into 2027-01-04,
    # when ISO week 2026-W53 (Dec 28 - Jan 3) is due
    start = datetime(2026, 1, 1, 0, tzinfo=NY_CLOCK.tz)
    end = datetime(2027, 1, 4, 12, tzinfo=NY_CLOCK.tz)
    results = simulate(lambda: cw, fleet, usage, detections, start, end, seed=11,
                       outage=(datetime(2026, 7, 2, 3, tzinfo=NY_CLOCK.tz),
                               datetime(2026, 7, 5, 9, tzinfo=NY_CLOCK.tz)))

    keys = [t["externalXRef"] for t in cw.tickets.values()]
    assert len(keys) == len(set(keys)), "a key was sent twice"
    assert set(keys) == expected_keys(fleet, start, end)
    assert not [r for r in results if r.outcome in ("failed", "held", "missed")]
    assert len(keys) > 830  # 2 x 368 daily + 53 weekly + 12 monthly + 3 x 12 billing
    assert "tmrm:tmems:HOOLI:2026-W53" in keys and "tmrm:hes:STARK:2027-01-03" in keys
    assert "tmrm:billing:STARK:2026-02" in keys  # day 31 in February
    sent = [r for r in results if r.outcome == "sent"]
    assert len(sent) == len(keys)  # each key reported sent once, by exactly one run
    # catch-up after the outage: July 2-4's daily periods went out late, as gaps
    assert any(r.detail.startswith("catching up") and r.period == "2026-07-02" for r in sent)
    for ticket in cw.tickets.values():
        if ticket["externalXRef"].startswith("tmrm:billing:"):
            _, _, company, label = ticket["externalXRef"].split(":")
            check_billing_units(ticket["initialDescription"], company, label)
    # the additions carry December's units at the end
    dec = {a["product"]["identifier"]: a["quantity"] for a in cw.additions[111]}
    assert dec == {"TM-WFBSS": world.units("stark", "wfbss", 2026, 12),
                   "TM-HES": world.units("stark", "hes", 2026, 12)}


@pytest.mark.slow
def test_runs_against_the_sandbox_with_20_percent_faults(tmp_path):
    year_data(tmp_path, date(2026, 9, 1), date(2026, 11, 30))
    fleet = world.fleet(tmp_path, lookback_days=5)
    usage, detections = world.sources(fleet)
    faults = Faults(rate_429=0.07, rate_5xx=0.07, rate_drop=0.06, seed=5, retry_after=0)
    injected = []
    apply_faults = faults.apply

    def counting(now):
        try:
            apply_faults(now)
        except Exception as exc:
            injected.append(type(exc).__name__)
            raise

    faults.apply = counting
    app = world.app(faults)
    client = world.client(app)
    # month end (day 30 and 31 billing), the DST change of Nov 1, day-15 billing
    start = datetime(2026, 10, 27, 0, tzinfo=NY_CLOCK.tz)
    end = datetime(2026, 11, 17, 8, tzinfo=NY_CLOCK.tz)
    results = simulate(lambda: client, fleet, usage, detections, start, end, seed=3,
                       step_hours=2)
    assert len(injected) > 0.15 * client.request_count  # ~20% of requests were faulted
    assert {"ApiError", "DropConnection"} <= set(injected)
    faults.rate_429 = faults.rate_5xx = faults.rate_drop = 0.0
    results += run_due(fleet, client, end, usage=usage, detections=detections).results

    keys = [t["externalXRef"] for t in world.tickets(app)
            if str(t.get("externalXRef") or "").startswith("tmrm:")]
    assert len(keys) == len(set(keys)), "a key was sent twice"
    assert set(keys) == expected_keys(fleet, start, end)
    assert not [r for r in results if r.outcome in ("held", "missed")]
    for ticket in world.tickets(app):
        if str(ticket.get("externalXRef")).startswith("tmrm:billing:"):
            _, _, company, label = ticket["externalXRef"].split(":")
            check_billing_units(world.note_text(app, ticket["id"]), company, label)
    assert world.addition_quantity(app, 111, "TM-WFBSS") == world.units("stark", "wfbss",
                                                                        2026, 10)
