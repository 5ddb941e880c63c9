"""Retries: what is retried, how long it waits, and that a POST is never blindly repeated."""

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from reconciler.connectwise import RateLimited, ServerError, TransportFailed, replace_ops
from reconciler.connectwise.ratelimit import RateLimiter
from tests.connectwise.conftest import script

OK = httpx.Response(200, json={"id": 1})


def drop():
    return httpx.RemoteProtocolError("Server disconnected without sending a response.")


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503),
        httpx.Response(502),
        httpx.Response(504),
        httpx.Response(429),
        httpx.ReadError("connection reset"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("refused"),
    ],
    ids=["503", "502", "504", "429", "read-error", "read-timeout", "connect-error"],
)
def test_get_recovers_from_transient_failures(make_client, fake_time, failure):
    client, site = make_client(script(failure, failure, OK))
    assert client.get("/company/companies/1") == {"id": 1}
    assert len(site.requests) == 3
    assert client.request_count == 4  # + discovery
    assert len(fake_time.sleeps) == 2


def test_get_recovers_from_a_dropped_connection(make_client):
    client, site = make_client(script(drop(), OK))
    assert client.get("/company/companies/1") == {"id": 1}
    assert len(site.requests) == 2


def test_backoff_grows_exponentially_with_full_jitter(make_client, fake_time):
    client, _ = make_client(
        script(*[httpx.Response(503)] * 5, OK), backoff_base=1.0, backoff_max=8.0
    )
    client.get("/x")
    ceilings = [1, 2, 4, 8, 8]
    assert len(fake_time.sleeps) == 5
    assert all(0 <= s <= c for s, c in zip(fake_time.sleeps, ceilings, strict=True))
    assert len(set(fake_time.sleeps)) == 5  # jittered, not fixed


def test_retry_after_is_honoured(make_client, fake_time):
    client, _ = make_client(script(httpx.Response(429, headers={"Retry-After": "7"}), OK))
    client.get("/x")
    assert fake_time.sleeps == [7.0]


def test_retry_after_as_http_date_is_honoured(make_client, fake_time):
    throttled = httpx.Response(
        429,
        headers={
            "Retry-After": "Wed, 25 Nov 2026 12:00:12 GMT",
            "Date": "Wed, 25 Nov 2026 12:00:00 GMT",
        },
    )
    client, _ = make_client(script(throttled, OK))
    client.get("/x")
    assert fake_time.sleeps == [12.0]


def test_retry_after_is_capped(make_client, fake_time):
    client, _ = make_client(
        script(httpx.Response(429, headers={"Retry-After": "86400"}), OK), retry_after_max=90
    )
    client.get("/x")
    assert fake_time.sleeps == [90.0]


def test_a_429_pauses_every_thread_not_just_the_caller(make_client, fake_time):
    client, _ = make_client(script(httpx.Response(429, headers={"Retry-After": "20"}), OK))
    client.get("/x")
    start = fake_time.now
    client.limiter.pause(0)  # no new pause; the old one is over
    client.get("/y")
    assert fake_time.now == start
    client.limiter.pause(5)
    client.get("/z")  # any caller waits out a pause
    assert fake_time.now == start + 5


def test_gives_up_after_max_retries(make_client, fake_time):
    client, site = make_client(script(httpx.Response(503)), max_retries=3)
    with pytest.raises(ServerError) as info:
        client.get("/company/companies/1")
    assert len(site.requests) == 4
    assert "[after 4 attempts]" in str(info.value)

    client, site = make_client(script(httpx.Response(429)), max_retries=2)
    with pytest.raises(RateLimited):
        client.get("/x")
    assert len(site.requests) == 3

    client, site = make_client(script(drop()), max_retries=1)
    with pytest.raises(TransportFailed, match="could not complete GET /x"):
        client.get("/x")
    assert len(site.requests) == 2


def test_500_is_retried_for_get_but_not_for_post(make_client):
    client, site = make_client(script(httpx.Response(500), OK))
    assert client.get("/x") == {"id": 1}
    assert len(site.requests) == 2
    client, site = make_client(script(httpx.Response(500), OK))
    with pytest.raises(ServerError):
        client.post("/x", {})
    assert len(site.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503),
        httpx.Response(500),
        httpx.Response(502),
        httpx.Response(504),
        drop(),
        httpx.ReadTimeout("timed out"),
        httpx.WriteError("broken pipe"),
    ],
    ids=["503", "500", "502", "504", "drop", "read-timeout", "write-error"],
)
def test_post_is_never_repeated_once_it_may_have_arrived(make_client, fake_time, failure):
    client, site = make_client(script(failure, httpx.Response(201, json={"id": 9})))
    with pytest.raises((ServerError, TransportFailed)):
        client.post("/service/tickets", {"summary": "billing"})
    assert [r.method for r in site.requests] == ["POST"]
    assert fake_time.sleeps == []


def test_post_dropped_error_says_it_was_not_retried(make_client):
    client, _ = make_client(script(drop()))
    with pytest.raises(TransportFailed, match="not retried: the request may have reached"):
        client.post("/service/tickets", {"summary": "billing"})


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("connect timed out"), httpx.Response(429)],
    ids=["connect-error", "connect-timeout", "429"],
)
def test_post_is_retried_when_it_provably_was_not_processed(make_client, failure):
    client, site = make_client(script(failure, httpx.Response(201, json={"id": 9})))
    assert client.post("/service/tickets", {"summary": "billing"}) == {"id": 9}
    assert [r.method for r in site.requests] == ["POST", "POST"]


def test_patch_replace_is_retried_but_patch_add_is_not(make_client):
    client, site = make_client(script(httpx.Response(503), OK))
    assert client.patch("/finance/agreements/1/additions/2", replace_ops(quantity=5)) == {"id": 1}
    assert len(site.requests) == 2

    client, site = make_client(script(httpx.Response(503), OK))
    with pytest.raises(ServerError):
        client.patch("/service/tickets/1", [{"op": "add", "path": "resources", "value": "x"}])
    assert len(site.requests) == 1


def test_every_attempt_passes_the_rate_limiter(make_client, fake_time):
    client, site = make_client(
        script(httpx.Response(503), OK), rate_limit_per_minute=10, backoff_base=0.001
    )
    for i in range(12):
        client.get(f"/x/{i}")
    # 1 discovery + 12 gets + 1 retry = 14 attempts at 10/minute: the 11th waits a window
    assert client.request_count == 14
    assert fake_time.now - 1000.0 == pytest.approx(RateLimiter.WINDOW, abs=0.01)
    assert len(site.requests) == 13


def test_exhausted_patch_replace_does_not_claim_it_was_not_retried(make_client):
    client, site = make_client(script(drop()), max_retries=2)
    with pytest.raises(TransportFailed) as info:
        client.patch("/x/1", replace_ops(name="n"))
    assert len(site.requests) == 3
    assert "not retried" not in str(info.value)
    assert "[after 3 attempts]" in str(info.value)


def test_an_undecodable_body_is_a_typed_error(make_client):
    def bad(request):
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip")

    client, site = make_client(bad)
    with pytest.raises(TransportFailed, match="GET /x"):
        client.get("/x")
    assert len(site.requests) == 1


def test_a_post_marked_idempotent_is_retried(make_client):
    client, site = make_client(script(httpx.Response(503), drop(), httpx.Response(200, json=[])))
    assert client.post("/service/tickets/search", {"conditions": "id > 1"}, idempotent=True) == []
    assert len(site.requests) == 3


def _failing_twice_per_path(threads: int) -> Callable[[httpx.Request], httpx.Response]:
    """503 to each path's first two attempts, 200 after. With several threads, every
    thread's attempt k waits for the others' (a barrier), so the retries interleave."""
    seen: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(threads) if threads > 1 else None

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            seen[request.url.path] += 1
            attempt = seen[request.url.path]
        if barrier is not None and attempt <= 2:
            barrier.wait(timeout=30)
        return httpx.Response(503) if attempt <= 2 else httpx.Response(200, json={"ok": 1})

    return handler


def test_a_seeded_client_waits_the_same_whichever_thread_retries_first(make_client, fake_time):
    """Each request draws its jitter from its own stream: eight requests retried on eight
    interleaved threads wait exactly what they wait one after another (a shared generator
    would hand its draws out in thread order)."""
    paths = [f"/company/companies/{i}" for i in range(8)]

    def waits(concurrency: int) -> list[float]:
        fake_time.sleeps.clear()
        client, _ = make_client(_failing_twice_per_path(concurrency), concurrency=concurrency,
                                rate_limit_per_minute=None, rng=random.Random(42))
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            assert list(pool.map(client.get, paths)) == [{"ok": 1}] * 8
        return sorted(fake_time.sleeps)

    one_by_one = waits(1)
    assert len(one_by_one) == 16 and len(set(one_by_one)) == 16  # jittered, 2 per request
    for _ in range(3):
        assert waits(8) == one_by_one
