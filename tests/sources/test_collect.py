"""`collect detections` against the Email Security simulator, in process and over real HTTP:
hourly runs, overlapping windows, a crash mid-page, runs skipped for 2 and for 3.5 days,
faults retried; the collected counts always equal the simulator's logs exactly."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from reconciler.sandbox import Faults, create_app, serve, transport
from reconciler.sources.collect import (
    API_WINDOW,
    SETTLE,
    collect,
    log_domain,
    log_time,
    plan_windows,
)
from reconciler.sources.collected import CollectedStore, floor_slot
from reconciler.sources.model import SourceError
from reconciler.sources.tmems import SANDBOX_ACCOUNT, SANDBOX_API_KEY, TmemsClient
from reconciler.sources.tmems_events import DEFAULT_EVENTS

START = datetime(2026, 11, 20, 0, 7, tzinfo=UTC)  # the first run, 7 minutes past an hour
DOMAINS = {"acme.example": 3.0, "hooli.example": 1.0, "stray.example": 0.5}
KNOWN = {"acme.example", "hooli.example"}
EVENTS = ["threat", "spam", "phishing"]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(tmp_path):
    clock = Clock(START)
    app = create_app(clock=clock, seed={"tmems": {"seed": 3, "domains": DOMAINS}})
    store = CollectedStore(tmp_path / "collected")
    return clock, app, store


def client_for(app, *, via: httpx.BaseTransport | None = None, **kwargs) -> TmemsClient:
    return TmemsClient("http://tmems", account=SANDBOX_ACCOUNT, api_key=SANDBOX_API_KEY,
                       transport=via or transport(app), sleep=lambda s: None, **kwargs)


def run(clock, app, store, **kwargs):
    client = kwargs.pop("client", None) or client_for(app)
    with store.lock():
        return collect(store, client, events=EVENTS, domains=KNOWN, mapping=DEFAULT_EVENTS,
                       now=clock.now, **kwargs)


def truth(app, start: datetime, end: datetime) -> Counter:
    """What the simulator holds for [start, end): (domain, event, type, subtype) -> logs."""
    found = Counter()
    for log in app.tmems.between(start, end - timedelta(milliseconds=1)):
        if log["_event"] in EVENTS:
            found[(log["domainName"], log["_event"], log["eventType"], log["eventSubtype"])] += 1
    return found


def stored(store: CollectedStore, start: datetime, end: datetime) -> Counter:
    found = Counter()
    for domain in DOMAINS:
        for (event, kind, sub), count in store.raw_counts([domain], start, end).items():
            found[(domain, event, kind, sub)] += count
    return found


def complete(store, start, end) -> bool:
    collected, _ = store.coverage(start, end)
    return collected == [(start, end)]


@pytest.fixture(params=["in process", "over HTTP"])
def connect(request, world):
    """Makes clients reaching the simulator in process, or over real HTTP on 127.0.0.1."""
    _clock, app, _store = world
    if request.param == "in process":
        yield lambda **kwargs: client_for(app, **kwargs)
        return
    with serve(app) as url:
        assert url.startswith("http://127.0.0.1:")
        yield lambda **kwargs: TmemsClient(url, account=SANDBOX_ACCOUNT, api_key=SANDBOX_API_KEY,
                                           sleep=lambda s: None, **kwargs)


def test_hourly_runs_for_two_days_count_every_log_once(world, connect):
    clock, app, store = world
    reports = []
    for _ in range(48):
        reports.append(run(clock, app, store, client=connect()))
        clock.now += timedelta(hours=1)
    assert all(r.ok for r in reports)
    # the first run took everything the API still had; later runs re-read 3 hours each
    first = reports[0].collected
    assert first[0].start == floor_slot(START - API_WINDOW) + timedelta(minutes=15 * 2)
    assert first[-1].end == floor_slot(START - SETTLE)
    assert sum((w.end - w.start for w in reports[5].collected), timedelta()) == timedelta(hours=3)
    day = datetime(2026, 11, 19, tzinfo=UTC)
    for _ in range(2):  # Nov 19 (mostly from the first run) and Nov 20 (hourly runs)
        assert complete(store, day, day + timedelta(days=1))
        after = day + timedelta(days=1)
        assert stored(store, day, after) == truth(app, day, after)
        day = after
    assert reports[-1].unknown_domains["stray.example"] > 0  # kept, counted for nobody
    assert reports[-1].uncounted[("threat", "Web Reputation", "")] > 0


def test_a_run_repeated_at_once_changes_nothing(world):
    clock, app, store = world
    run(clock, app, store)
    files = {p.name: p.read_bytes() for p in store.folder.glob("*.json")}
    again = run(clock, app, store)
    assert again.ok and again.collected  # the last hours are read again ...
    assert {p.name: p.read_bytes() for p in store.folder.glob("*.json")} == files  # ... same


class Crash(Exception):
    """Stands for the process dying (it is not a SourceError: nothing handles it)."""


class DiesAfter(httpx.BaseTransport):
    def __init__(self, inner, requests: int):
        self.inner, self.left = inner, requests

    def handle_request(self, request):
        if self.left == 0:
            raise Crash()
        self.left -= 1
        return self.inner.handle_request(request)


@pytest.mark.parametrize("share", [0.0, 0.05, 0.5, 0.95, 1.0])
def test_a_crash_mid_page_loses_nothing_and_counts_nothing_twice(world, tmp_path, share):
    clock, app, store = world
    paged = {"page_limit": 10}  # several pages an hour
    run(clock, app, store, client=client_for(app, **paged))
    clock.now += timedelta(hours=5)
    # how many requests the next run makes, measured on a copy; then die part-way through
    shutil.copytree(store.folder, tmp_path / "scratch")
    whole = run(clock, app, CollectedStore(tmp_path / "scratch"),
                client=client_for(app, **paged)).requests
    assert whole > 25  # several pages of several windows
    dying = client_for(app, via=DiesAfter(transport(app), min(int(whole * share), whole - 1)),
                       **paged)
    with pytest.raises(Crash):
        run(clock, app, store, client=dying)
    clock.now += timedelta(minutes=20)
    assert run(clock, app, store, client=client_for(app, **paged)).ok
    end = floor_slot(clock.now - SETTLE)
    begin = datetime(2026, 11, 18, 1, tzinfo=UTC)
    assert complete(store, begin, end)
    assert stored(store, begin, end) == truth(app, begin, end)


def test_a_run_skipped_for_two_days_catches_up_without_loss(world):
    clock, app, store = world
    run(clock, app, store)
    clock.now += timedelta(days=2)
    report = run(clock, app, store)
    assert report.ok and not report.lost
    begin, end = datetime(2026, 11, 17, 1, tzinfo=UTC), floor_slot(clock.now - SETTLE)
    assert complete(store, begin, end)
    assert stored(store, begin, end) == truth(app, begin, end)


def test_a_run_skipped_for_three_and_a_half_days_reports_the_lost_hours(world):
    clock, app, store = world
    first = run(clock, app, store)
    last_collected = first.collected[-1].end  # 2026-11-19T23:30Z
    clock.now += timedelta(days=3, hours=12)
    report = run(clock, app, store)
    edge = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)  # now - 72 h + 15 min, rounded up
    assert report.lost == [(last_collected, edge)] and not report.ok
    _, lost = store.coverage(last_collected - timedelta(days=1), edge + timedelta(days=1))
    assert lost == [(last_collected, edge)]
    assert stored(store, last_collected, edge) == Counter()  # lost: nothing there, not zero
    assert complete(store, edge, floor_slot(clock.now - SETTLE))
    again = run(clock, app, store)
    assert again.ok and again.lost == []  # reported once, recorded for good


def test_faults_are_retried_and_counts_stay_exact(world, connect):
    clock, app, store = world
    app.tmems_faults = Faults(rate_429=0.15, rate_5xx=0.1, rate_drop=0.1, retry_after=0,
                              seed=11)
    for _ in range(6):
        assert run(clock, app, store, client=connect(attempts=8)).ok
        clock.now += timedelta(hours=1)
    begin = datetime(2026, 11, 17, 1, tzinfo=UTC)
    end = floor_slot(clock.now - timedelta(hours=1) - SETTLE)
    assert stored(store, begin, end) == truth(app, begin, end)


def test_a_request_that_keeps_failing_stops_the_run_and_the_next_goes_on(world):
    clock, app, store = world
    run(clock, app, store)
    clock.now += timedelta(hours=6)
    app.tmems_faults.fail_next("503", 100)
    report = run(clock, app, store, client=client_for(app, attempts=3))
    assert report.failed and "unavailable after 3 attempts: 503" in report.failed
    assert not report.collected and not report.ok
    app.tmems_faults = Faults()  # the service recovers
    clock.now += timedelta(minutes=5)
    assert run(clock, app, store).ok
    begin, end = datetime(2026, 11, 18, 1, tzinfo=UTC), floor_slot(clock.now - SETTLE)
    assert complete(store, begin, end) and stored(store, begin, end) == truth(app, begin, end)


@pytest.mark.parametrize("knob, value", [
    ("repeat_page_edge", True), ("quote_tokens", True), ("empty_status", 200),
])
def test_every_plausible_paging_answer_gives_the_same_counts(world, knob, value):
    clock, app, store = world
    setattr(app.tmems, knob, value)
    assert run(clock, app, store, client=client_for(app, page_limit=7)).ok
    begin, end = datetime(2026, 11, 17, 1, tzinfo=UTC), floor_slot(START - SETTLE)
    assert stored(store, begin, end) == truth(app, begin, end)


def test_late_logs_are_picked_up_by_the_next_runs(world):
    clock, app, store = world
    app.tmems.ingest_delay = timedelta(hours=2)  # longer than the settling time
    for _ in range(5):
        run(clock, app, store)
        clock.now += timedelta(hours=1)
    # hours re-read after the delay are exact; the last two still wait for their logs
    begin, end = datetime(2026, 11, 17, 1, tzinfo=UTC), datetime(2026, 11, 20, 1, tzinfo=UTC)
    assert stored(store, begin, end) == truth(app, begin, end)


def test_a_second_collector_at_once_is_refused(tmp_path):
    store, other = CollectedStore(tmp_path / "c"), CollectedStore(tmp_path / "c")
    with store.lock(), pytest.raises(SourceError, match="another `collect detections` holds"):
        other.lock().__enter__()
    with other.lock():  # free again once the first is done
        pass


def test_over_real_http(world):
    clock, app, store = world
    with serve(app) as url:
        assert url.startswith("http://127.0.0.1:")
        client = TmemsClient(url, account=SANDBOX_ACCOUNT, api_key=SANDBOX_API_KEY)
        report = run(clock, app, store, client=client)
        clock.now += timedelta(hours=1)
        assert run(clock, app, store, client=client).ok and report.ok
    begin, end = datetime(2026, 11, 17, 1, tzinfo=UTC), floor_slot(clock.now - SETTLE)
    assert stored(store, begin, end) == truth(app, begin, end)


def test_nothing_to_do_right_after_a_run_but_the_recent_hours(world):
    clock, app, store = world
    run(clock, app, store)
    windows, lost = plan_windows(store, clock.now)
    assert lost is None
    assert windows[0][0] == floor_slot(clock.now - SETTLE) - timedelta(hours=3)


def test_a_log_without_a_readable_time_counts_in_the_window_it_came_for(tmp_path):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params["event"] != "spam" or request.url.params["start"] != (
                "2026-11-19T10:00:00.000Z"):
            return httpx.Response(204)
        return httpx.Response(200, json={"logs": [
            {"genTime": "soon", "domainName": "acme.example", "eventType": "Spam"},
            {"genTime": "2026-11-19T10:50:00Z", "domainName": "acme.example",
             "eventType": "Spam"}]})
    store = CollectedStore(tmp_path / "c")
    client = client_for(None, via=httpx.MockTransport(answer))
    report = collect(store, client, events=["spam"], domains=KNOWN, mapping=DEFAULT_EVENTS,
                     now=START)
    assert report.ok and report.untimed == 1
    hour = datetime(2026, 11, 19, 10, tzinfo=UTC)
    assert store.raw_counts(["acme.example"], hour, hour + timedelta(minutes=15)) == {
        ("spam", "Spam", ""): 1}  # the untimed one, at the window's start
    assert store.raw_counts(["acme.example"], hour + timedelta(minutes=45),
                            hour + timedelta(hours=1)) == {("spam", "Spam", ""): 1}


@pytest.mark.parametrize("log, expected", [
    ({"genTime": "2026-11-24T09:15:02Z"}, datetime(2026, 11, 24, 9, 15, 2, tzinfo=UTC)),
    ({"genTime": "2026-11-24T09:15:02.12345Z"}, datetime(2026, 11, 24, 9, 15, 2, 123450,
                                                         tzinfo=UTC)),
    ({"genTime": "2026-11-24T09:15:02.001+00:00"}, datetime(2026, 11, 24, 9, 15, 2, 1000,
                                                            tzinfo=UTC)),
    ({"genTime": "", "timestamp": "2026-11-24T09:15:02Z"}, datetime(2026, 11, 24, 9, 15, 2,
                                                                    tzinfo=UTC)),
    ({}, None),
])
def test_log_times_in_every_plausible_form(log, expected):
    assert log_time(log) == expected


@pytest.mark.parametrize("log, expected", [
    ({"domainName": "Acme.Example"}, "acme.example"),
    ({"direction": "in", "recipients": ["a@hooli.example"]}, "hooli.example"),
    ({"direction": "in", "recipient": "<b@acme.example>"}, "acme.example"),
    ({"direction": "out", "sender": "c@acme.example", "recipient": "d@else.example"},
     "acme.example"),
    ({"subject": "x"}, ""),
])
def test_a_logs_domain(log, expected):
    assert log_domain(log) == expected
