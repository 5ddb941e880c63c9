"""Faults: queued and random 429/5xx/drops, the throttle, latency."""

from __future__ import annotations

import time

import httpx
import pytest

from reconciler.sandbox import Faults, create_app

from .conftest import make_client


class Clock:
    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.t = start

    def __call__(self):
        from datetime import UTC, datetime
        return datetime.fromtimestamp(self.t, UTC)


def test_fail_next_429_has_retry_after_and_a_cdn_body(app, client):
    app.faults.retry_after = 7
    app.faults.fail_next("429")
    r = client.get("system/info")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert r.json()["error"] == "ConnectWiseAPI"
    assert client.get("system/info").status_code == 200  # only the next one


@pytest.mark.parametrize("kind", ["500", "502", "503", "504"])
def test_fail_next_5xx(app, client, kind):
    app.faults.fail_next(kind, 2)
    assert [client.get("system/info").status_code for _ in range(3)] == [int(kind)] * 2 + [200]


def test_gateway_errors_are_html_not_json(app, client):
    app.faults.fail_next("502")
    r = client.get("system/info")
    assert r.headers["content-type"].startswith("text/html")


def test_drop_in_process_is_a_remote_protocol_error(app, client):
    app.faults.fail_next("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("company/companies")
    assert client.get("company/companies").status_code == 200


def test_faults_do_not_touch_company_info(app, client):
    app.faults.fail_next("500")
    raw = httpx.Client(transport=client._transport, base_url="http://sandbox.test")
    assert raw.get("/login/companyinfo/sandbox").status_code == 200
    assert client.get("system/info").status_code == 500


def test_unknown_fault_kind_is_refused():
    with pytest.raises(ValueError):
        Faults().fail_next("418")
    with pytest.raises(ValueError):
        Faults(rate_429=1.5)


def test_random_faults_repeat_with_the_same_seed():
    def run(seed):
        app = create_app(faults=Faults(rate_429=0.3, rate_5xx=0.2, seed=seed))
        c = make_client(app)
        return [c.get("system/info").status_code for _ in range(40)]
    first = run(3)
    assert first == run(3)
    assert {429, 200} <= set(first) and any(s >= 500 for s in first)


def test_rate_drop_everything():
    app = create_app(faults=Faults(rate_drop=1.0))
    with pytest.raises(httpx.RemoteProtocolError):
        make_client(app).get("system/info")


def test_throttle_per_minute_with_retry_after():
    clock = Clock()
    app = create_app(faults=Faults(throttle_per_minute=3), clock=clock)
    c = make_client(app)
    assert [c.get("system/info").status_code for _ in range(3)] == [200] * 3
    clock.t += 20
    r = c.get("system/info")
    assert r.status_code == 429 and r.headers["Retry-After"] == "40"
    clock.t += 41
    assert c.get("system/info").status_code == 200


def test_latency(app, client):
    app.faults.latency_ms = 60
    start = time.perf_counter()
    client.get("system/info")
    assert time.perf_counter() - start >= 0.05


def test_an_internal_error_answers_500_in_connectwise_shape(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("private detail")
    monkeypatch.setattr(app, "_list", broken)
    r = client.get("company/companies")
    assert r.status_code == 500 and r.json()["code"] == "ConnectWiseApi"
    assert "private detail" not in r.text
