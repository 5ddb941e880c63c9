"""A simulated year of run-due runs against the embedded sandbox (in process, over httpx's
WSGI transport): runs skipped (including a three-day outage), repeated, and two at the
same time. Every period is sent exactly once with the source's quantities: hourly for a
full year, and again with 20% 429/5xx/dropped connections injected by the sandbox plus a
day when ConnectWise answers nothing but 503.

Each run is recorded as production would see it: its results and the exit status the CLI
gives (`reconciler.cli.exits`), and the next scheduled run goes on whatever it was. Only
errors the CLI reports as `error: ...` are recorded; anything else (a bug), in the main
thread or a racing one, fails the test.

Deterministic: the sandbox decides the fault of its n-th request from (seed, n), and the
skipped, repeated and racing runs come from a seeded generator in the main thread. Which
of two racers (or of a run's worker threads) gets request n still follows thread timing,
so every assertion is one that must hold for every interleaving: exactly-once keys, the
source's units, no held or missed period, every failure explained by ConnectWise.

Cost, measured on a 2-CPU box: the hourly year is ~9,000 runs and ~13,600 requests,
~35 s, of which the sandbox's share is ~11 s (0.8 ms a request with its indexes, 14.5 ms
and 216 s for the year without them; the rest is the client, httpx and the sends). The
faulted year runs every 6 hours (~10-12 s; retries make it 1.3x the requests).
"""

from __future__ import annotations

import random
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from reconciler.cli import exits
from reconciler.connectwise import TransportFailed
from reconciler.domain.keys import send_key
from reconciler.sandbox import Faults
from reconciler.schedule import Clock, cadences
from reconciler.sends import run_due
from reconciler.sends.model import SendResult
from tests.sends import world

NY_CLOCK = Clock.of("America/New_York", "06:00")
FAULT_STEP_HOURS = 6  # a full faulted year in ~10 s


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


@dataclass(frozen=True)
class Run:
    """One scheduled run as CI would have seen it."""

    at: datetime
    status: int  # the exit status the CLI gives
    results: tuple[SendResult, ...] = ()
    error: str = ""  # the CLI's error line, when the run raised


def run_once(fleet, gateway, at, usage, detections) -> Run:
    """run-due at `at`, recorded with the CLI's exit status; a bug is raised."""
    try:
        report = run_due(fleet, gateway, at, usage=usage, detections=detections)
    except Exception as exc:
        if not exits.expected(exc):
            raise
        return Run(at, exits.for_error(exc), error=exits.error_line(exc))
    return Run(at, exits.for_report(report), report.results)


def race(one: Callable[[], Run]) -> list[Run]:
    """Two runs at the same moment, on two threads; an exception in either (a bug: the
    recorded kind never escapes `run_once`) is raised here, in the main thread."""
    barrier = threading.Barrier(2)
    lock = threading.Lock()
    runs: list[Run] = []
    errors: list[BaseException] = []

    def racer() -> None:
        try:
            barrier.wait(timeout=60)
            run = one()
            with lock:
                runs.append(run)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=racer) for _ in range(2)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # racing threads hand the GIL over quickly
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        sys.setswitchinterval(switch)
    assert not any(t.is_alive() for t in threads), "a racing run did not finish in 5 min"
    if errors:
        raise errors[0]
    return runs


def simulate(make_gateway, fleet, usage, detections, start, end, *, seed: int,
             step_hours: int = 1, outage: tuple[datetime, datetime] | None = None,
             down: tuple[datetime, datetime] | None = None,
             connectwise_down: Callable[[bool], None] | None = None) -> list[Run]:
    """Run run-due at every step from start to end; returns every run. No run during
    `outage` (the scheduler is down); during `down`, `connectwise_down(True)` makes
    ConnectWise fail every request (the runs happen and fail)."""
    rng = random.Random(seed)
    runs: list[Run] = []

    def one(at: datetime) -> Run:
        return run_once(fleet, make_gateway(), at, usage, detections)

    at = start
    while at <= end:
        in_outage = outage is not None and outage[0] <= at < outage[1]
        if connectwise_down is not None and down is not None:
            connectwise_down(down[0] <= at < down[1])
        draw = rng.random()
        if in_outage or (at != start and draw < 0.12):
            pass  # skipped run
        elif draw < 0.17 or (at.hour == 6 and at.day in (1, 15, 28, 30, 31)):
            # two runs at the same moment (always on billing days at send time)
            runs += race(lambda at=at: one(at))
        else:
            runs.append(one(at))
            if draw > 0.95:
                runs.append(one(at))  # repeated
        at += timedelta(hours=step_hours)
    if connectwise_down is not None:
        connectwise_down(False)
    return runs


def results_of(runs: list[Run]) -> list[SendResult]:
    return [result for run in runs for result in run.results]


def test_a_run_that_fails_is_recorded_with_the_cli_exit_status(monkeypatch):
    def down(*args, **kwargs):
        raise TransportFailed(None, "ConnectError", "refused", (), "GET", "/service/tickets")

    monkeypatch.setattr(sys.modules[__name__], "run_due", down)
    run = run_once(None, None, START, None, None)
    assert run.status == 1 and run.error.startswith("error: ConnectWise could not complete")


def test_a_bug_in_a_run_is_raised_not_recorded(monkeypatch):
    def bug(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(sys.modules[__name__], "run_due", bug)
    with pytest.raises(KeyError):
        run_once(None, None, START, None, None)


def test_an_exception_in_a_racing_thread_reaches_the_main_thread():
    calls = []

    def one() -> Run:
        calls.append(threading.current_thread())
        raise ValueError("a racer's bug")

    with pytest.raises(ValueError, match="a racer's bug"):
        race(one)
    assert len(calls) == 2 and threading.main_thread() not in calls


def year_data(tmp_path, start: date, end: date) -> None:
    month = date(start.year, start.month, 1)
    while month <= end:
        world.write_usage(tmp_path, month.year, month.month)
        month = (month + timedelta(days=32)).replace(day=1)
    world.write_detections(tmp_path, start, end)


# Both DST changes of 2026, leap-less February (billing day 31), and past the year end
# into 2027-01-04, when ISO week 2026-W53 (Dec 28 - Jan 3) is due.
START = datetime(2026, 1, 1, 0, tzinfo=NY_CLOCK.tz)
END = datetime(2027, 1, 4, 12, tzinfo=NY_CLOCK.tz)
OUTAGE = (datetime(2026, 7, 2, 3, tzinfo=NY_CLOCK.tz), datetime(2026, 7, 5, 9, tzinfo=NY_CLOCK.tz))


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """The fleet and its usage and detection files for the whole simulated span."""
    root = tmp_path_factory.mktemp("year")
    year_data(root, date(2025, 11, 1), date(2027, 1, 31))
    fleet = world.fleet(root, lookback_days=5)
    return fleet, *world.sources(fleet)


def sent_keys(app) -> list[str]:
    return world.counted_keys(app)


def check_sandbox(app, fleet, start: datetime, end: datetime) -> list[str]:
    """Every period key exactly once, billing tickets listing the source's units, and the
    additions carrying the last billed month's units."""
    keys = sent_keys(app)
    assert len(keys) == len(set(keys)), "a key was sent twice"
    assert set(keys) == expected_keys(fleet, start, end)
    for ticket in world.tickets(app):
        if str(ticket.get("externalXRef")).startswith("tmrm:billing:") and \
                not world.settled_loser(ticket):
            _, _, company, label = ticket["externalXRef"].split(":")
            check_billing_units(world.note_text(app, ticket["id"]), company, label)
    last = max(k.rsplit(":", 1)[1] for k in keys if k.startswith("tmrm:billing:STARK:"))
    y, m = map(int, last.split("-"))
    for product, item in (("wfbss", "TM-WFBSS"), ("hes", "TM-HES")):
        assert world.addition_quantity(app, 111, item) == world.units("stark", product, y, m)
    return keys


@pytest.mark.slow
def test_a_year_of_hourly_runs_sends_every_period_exactly_once(year):
    fleet, usage, detections = year
    app = world.app()
    # concurrency 2: within a run, customers' sends still run in parallel; more threads
    # only add thread start-up to 9,000 runs
    gateway = world.gateway(app, concurrency=2)
    runs = simulate(lambda: gateway, fleet, usage, detections, START, END, seed=11,
                    outage=OUTAGE)

    assert len(runs) > 7000
    assert [r for r in runs if r.status != 0 or r.error] == []  # every run exits 0
    keys = check_sandbox(app, fleet, START, END)
    results = results_of(runs)
    assert not [r for r in results if r.outcome in ("failed", "held", "missed", "warning")]
    assert any(world.settled_loser(t) for t in world.tickets(app))  # races happened, were settled
    assert len(keys) > 830  # 2 x 368 daily + 53 weekly + 12 monthly + 3 x 12 billing
    assert "tmrm:tmems:HOOLI:2026-W53" in keys and "tmrm:hes:STARK:2027-01-03" in keys
    assert "tmrm:billing:STARK:2026-02" in keys  # day 31 in February
    sent = [r for r in results if r.outcome == "sent"]
    assert len(sent) == len(keys)  # each key reported sent once, by exactly one run
    # catch-up after the outage: July 2-4's daily periods went out late, as gaps
    assert any(r.detail.startswith("catching up") and r.period == "2026-07-02" for r in sent)


# A day when ConnectWise answers every request 503: Initech's billing day, with a race at
# send time. Runs go on failing (exit 1) until it is back; the next run catches up.
DOWN = (datetime(2026, 3, 15, 5, tzinfo=NY_CLOCK.tz), datetime(2026, 3, 16, 1, tzinfo=NY_CLOCK.tz))


@pytest.mark.slow
def test_a_year_with_20_percent_faults_sends_every_period_exactly_once(year):
    fleet, usage, detections = year
    faults = Faults(rate_429=0.07, rate_5xx=0.07, rate_drop=0.06, seed=5, retry_after=0)
    rates = (faults.rate_429, faults.rate_5xx, faults.rate_drop)
    injected = []
    apply_faults = faults.apply

    def counting(now):
        try:
            apply_faults(now)
        except Exception as exc:
            injected.append(type(exc).__name__)
            raise

    def connectwise_down(down: bool) -> None:
        faults.rate_429, faults.rate_5xx, faults.rate_drop = (0.0, 1.0, 0.0) if down else rates

    faults.apply = counting
    app = world.app(faults)
    gateway = world.gateway(app, concurrency=2)  # retries sleep instantly (world.client)
    runs = simulate(lambda: gateway, fleet, usage, detections, START, END, seed=3,
                    step_hours=FAULT_STEP_HOURS, outage=OUTAGE, down=DOWN,
                    connectwise_down=connectwise_down)
    assert len(injected) > 0.15 * gateway.request_count  # ~20% of requests were faulted
    assert {"ApiError", "DropConnection"} <= set(injected)

    # Every run ended as production would see it: exit 0, or exit 1 with ConnectWise's
    # failures named in its rows (never an escaped exception, never held or missed).
    results = results_of(runs)
    assert {r.status for r in runs} <= {0, 1}
    assert [r.error for r in runs if r.error] == []
    for run in runs:
        failed = [r for r in run.results if r.outcome == "failed"]
        assert (run.status == 1) == bool(failed), run
        assert all("ConnectWise" in r.detail for r in failed), failed
    assert not [r for r in results if r.outcome in ("held", "missed")]
    # While ConnectWise was down every run failed every customer and kind, naming the read.
    down_runs = [r for r in runs if DOWN[0] <= r.at < DOWN[1]]
    assert len(down_runs) >= 2
    for run in down_runs:
        assert run.status == 1 and {r.outcome for r in run.results} == {"failed"}
        assert all(r.detail.startswith("reading ") and " failed: ConnectWise " in r.detail
                   for r in run.results), run.results
    # (Whether a run reports `sent` or `already_sent` after its POST failed ambiguously
    # depends on who won the race; the tickets below are what must hold.)

    # The next run after the year: nothing left to fail (ConnectWise healthy again).
    faults.rate_429 = faults.rate_5xx = faults.rate_drop = 0.0
    last = run_once(fleet, gateway, END, usage, detections)
    assert last.status == 0 and not [r for r in last.results if r.outcome == "failed"]
    check_sandbox(app, fleet, START, END)
