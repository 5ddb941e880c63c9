"""Trend Micro Email Security's policy event log API as the simulator answers it: Basic
auth, the 72-hour window relative to the simulator's clock, nextToken paging, filters,
and the documented error answers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import httpx
import pytest

from reconciler.sandbox import create_app, transport
from reconciler.sandbox.tmems import make_log
from tests.sandbox.conftest import NOW

PATH = "/api/v1/log/policyeventlog"


def basic(user: str, key: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()}


AUTH = basic("sandbox-tmems", "sandbox-tmems-key")


def get(app, params=None, headers=AUTH, method="GET", path=PATH):
    client = httpx.Client(transport=transport(app), base_url="http://tmems.test")
    return client.request(method, path, params=params, headers=headers)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def every_page(app, params) -> list[dict]:
    logs, params = [], dict(params)
    while True:
        r = get(app, params)
        if r.status_code == 204:
            return logs
        assert r.status_code == 200
        body = r.json()
        logs.extend(body["logs"])
        if "nextToken" not in body:
            return logs
        params["token"] = body["nextToken"]


def test_basic_auth_with_account_and_api_key(app):
    hour = {"start": iso(NOW - timedelta(hours=2)), "end": iso(NOW - timedelta(hours=1))}
    assert get(app, hour).status_code == 200
    for headers in ({}, basic("sandbox-tmems", "wrong"), basic("other", "sandbox-tmems-key"),
                    {"Authorization": "Basic !!!"}, {"Authorization": "Bearer x"}):
        r = get(app, hour, headers=headers)
        assert r.status_code == 401
        assert r.json() == {"code": "AuthenticationMissingOrInvalid",
                            "message": "The credential is missing or invalid."}


def test_logs_have_the_fields_collectors_read_and_are_in_time_order(app):
    logs = every_page(app, {"start": iso(NOW - timedelta(hours=3)), "end": iso(NOW)})
    assert len(logs) > 50
    assert {"genTime", "timestamp", "mailID", "messageID", "eventType", "eventSubtype",
            "domainName", "direction", "policyName"} <= set(logs[0])
    assert "_event" not in logs[0]
    times = [log["genTime"] for log in logs]
    assert times == sorted(times)


def test_pages_of_at_most_500_chained_by_next_token(app):
    params = {"start": iso(NOW - timedelta(hours=24)), "end": iso(NOW), "limit": "100"}
    first = get(app, params).json()
    assert len(first["logs"]) == 100 and first["nextToken"]
    everything = every_page(app, params)
    assert len(everything) == len({(log["mailID"], log["eventType"], log["eventSubtype"])
                                   for log in everything}) > 500
    assert len(get(app, {**params, "limit": "5000"}).json()["logs"]) == 500  # capped


def test_only_the_last_72_hours_relative_to_the_clock(app):
    params = {"start": iso(NOW - timedelta(hours=100)), "end": iso(NOW - timedelta(hours=70))}
    logs = every_page(app, params)
    assert logs and min(log["genTime"] for log in logs) >= iso(NOW - timedelta(hours=72))
    later = create_app(clock=lambda: NOW + timedelta(hours=10))  # the window moved on
    assert get(later, params).status_code == 204
    recent = {"start": iso(NOW - timedelta(hours=100)), "end": iso(NOW)}
    assert min(log["genTime"] for log in every_page(later, recent)) >= iso(
        NOW - timedelta(hours=62))
    old = {"start": iso(NOW - timedelta(hours=100)), "end": iso(NOW - timedelta(hours=80))}
    assert get(app, old).status_code == 204  # nothing left of it


def test_five_minutes_when_start_or_end_is_left_out(app):
    start = NOW - timedelta(hours=5)
    only_start = every_page(app, {"start": iso(start)})
    assert all(iso(start) <= log["genTime"] <= iso(start + timedelta(minutes=5)) + "Z"
               for log in only_start)
    assert len(every_page(app, {"start": iso(start), "end": iso(start + timedelta(minutes=5))})
               ) == len(only_start)


def test_filters_event_domain_direction(app):
    window = {"start": iso(NOW - timedelta(hours=6)), "end": iso(NOW)}
    threat = every_page(app, {**window, "event": "threat"})
    assert threat and {log["eventType"] for log in threat} <= {
        "Malware", "Ransomware", "Suspicious Objects", "Advanced Persistent Threat",
        "Web Reputation"}
    acme = every_page(app, {**window, "domain": "ACME.example"})
    assert acme and {log["domainName"] for log in acme} == {"acme.example"}
    assert every_page(app, {**window, "direction": "out"}) == []


def test_an_empty_answer_is_204_or_an_empty_list(app):
    quiet = {"start": iso(NOW - timedelta(hours=200)), "end": iso(NOW - timedelta(hours=190))}
    r = get(app, quiet)
    assert r.status_code == 204 and r.content == b""
    app.tmems.empty_status = 200
    assert get(app, quiet).json() == {"logs": []}


@pytest.mark.parametrize("params", [
    {"start": "2026-11-25 10:00:00"}, {"start": "2026-11-25T10:00:00+00:00"},
    {"start": iso(NOW), "end": iso(NOW - timedelta(hours=1))},  # end before start
    {"event": "virus"}, {"direction": "sideways"}, {"limit": "0"}, {"limit": "many"},
    {"token": "not-a-token"},
])
def test_bad_parameters_are_400_invalid_format(app, params):
    r = get(app, params)
    assert r.status_code == 400
    assert r.json() == {"code": "InvalidFormat", "message": "Invalid request format."}


def test_a_token_only_works_with_the_query_that_gave_it(app):
    params = {"start": iso(NOW - timedelta(hours=24)), "end": iso(NOW), "limit": "10"}
    token = get(app, params).json()["nextToken"]
    assert get(app, {**params, "token": token}).status_code == 200
    r = get(app, {**params, "event": "spam", "token": token})
    assert r.status_code == 400


def test_other_methods_and_paths_and_log_retrieval_off(app):
    r = get(app, method="POST")
    assert r.status_code == 400 and r.json()["code"] == "InvalidMethod"
    assert get(app, path="/api/v1/log/unknown").status_code == 404
    app.tmems.log_retrieval = False
    r = get(app, {"start": iso(NOW - timedelta(hours=1)), "end": iso(NOW)})
    assert r.status_code == 404 and r.json()["code"] == "ResourceNotAvailable"


def test_knobs_for_what_the_documentation_leaves_open(app):
    params = {"start": iso(NOW - timedelta(hours=24)), "end": iso(NOW), "limit": "50"}
    plain = every_page(app, params)
    app.tmems.quote_tokens = True
    body = get(app, params).json()
    assert "%" in body["nextToken"]
    assert get(app, {**params, "token": body["nextToken"]}).status_code == 400  # as given
    assert get(app, {**params, "token": unquote(body["nextToken"])}).status_code == 200
    app.tmems.quote_tokens = False
    app.tmems.repeat_page_edge = True
    repeated = every_page(app, params)
    assert len(repeated) > len(plain)
    assert {log["mailID"] + log["eventType"] + log["eventSubtype"] for log in repeated} == {
        log["mailID"] + log["eventType"] + log["eventSubtype"] for log in plain}
    app.tmems.repeat_page_edge = False
    app.tmems.ingest_delay = timedelta(hours=1)
    recent = every_page(app, {"start": iso(NOW - timedelta(hours=2)), "end": iso(NOW)})
    assert recent and max(log["genTime"] for log in recent) <= iso(NOW - timedelta(hours=1))


def test_added_logs_are_served_with_the_generated_ones(app):
    moment = NOW - timedelta(hours=1, minutes=30)
    app.tmems.extra.append(make_log("added.example", "phishing", "Phishing", "", moment, "x1"))
    found = every_page(app, {"start": iso(moment - timedelta(minutes=1)),
                             "end": iso(moment + timedelta(minutes=1)), "domain": "added.example"})
    assert [log["mailID"] for log in found] == ["x1"]


def test_faults_of_their_own(app):
    app.tmems_faults.fail_next("503")
    params = {"start": iso(NOW - timedelta(hours=1)), "end": iso(NOW)}
    assert get(app, params).status_code == 503
    assert get(app, params).status_code == 200
    assert app.faults.__class__ is app.tmems_faults.__class__ and app.faults is not app.tmems_faults


def test_seed_domains_are_checked():
    from reconciler.sandbox.seed import SeedError, build_state

    with pytest.raises(SeedError, match=r"tmems\.domains must map mail domains"):
        build_state({"tmems": {"domains": {"a.example": -1}}})
    with pytest.raises(SeedError, match=r"tmems\.seed must be a whole number"):
        build_state({"tmems": {"seed": "x"}})
    assert build_state({"tmems": {"domains": {"A.Example": 2}}}).tmems == {
        "seed": 0, "domains": {"a.example": 2.0}}


def test_generated_logs_repeat_exactly():
    one, two = create_app(clock=lambda: NOW), create_app(clock=lambda: NOW)
    params = {"start": iso(NOW - timedelta(hours=3)), "end": iso(NOW)}
    assert every_page(one, params) == every_page(two, params)
    assert datetime.fromisoformat(every_page(one, params)[0]["genTime"].replace(
        "Z", "+00:00")).tzinfo == UTC
