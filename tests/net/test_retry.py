"""The one retry policy of every outbound client (ConnectWise and Trend Micro)."""

import random
from datetime import UTC, datetime

import httpx
import pytest

from reconciler.net.retry import RetryPolicy, parse_retry_after

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("30", NOW) == 30
    assert parse_retry_after(" 2.5 ", NOW) == 2.5
    assert parse_retry_after("Wed, 25 Nov 2026 12:00:45 GMT", NOW) == 45
    assert parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", NOW) == 0
    assert parse_retry_after("-5", NOW) == 0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("nan", NOW) is None
    assert parse_retry_after("Wed, 25 Nov 2026 12:00:45", NOW) == 45  # no zone: GMT


def test_backoff_is_full_jitter_under_an_exponential_ceiling():
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4.0, rng=random.Random(1))
    for failures, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        delays = [policy.backoff(failures) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # jitter spans the range ...
        assert min(delays) < ceiling * 0.2  # ... down to (almost) nothing


def test_delay_prefers_retry_after_and_caps_it():
    policy = RetryPolicy(retry_after_max=60, rng=random.Random(1))
    response = httpx.Response(429, headers={"Retry-After": "7"})
    assert policy.delay(1, response) == 7
    assert policy.delay(1, httpx.Response(429, headers={"Retry-After": "3600"})) == 60
    dated = httpx.Response(
        503,
        headers={
            "Retry-After": "Wed, 25 Nov 2026 12:00:10 GMT",
            "Date": "Wed, 25 Nov 2026 12:00:00 GMT",
        },
    )
    assert policy.delay(1, dated) == 10
    assert 0 <= policy.delay(1, httpx.Response(503)) <= 0.5




def request():
    return httpx.Request("GET", "https://cw.example.com/x")


@pytest.mark.parametrize(
    ("status", "retry_safe", "retried"),
    [(429, False, True), (429, True, True),  # the throttle refused it: nothing was done
     (500, True, True), (502, True, True), (503, True, True), (504, True, True),
     (500, False, False), (503, False, False),  # may have been processed: never repeated
     (400, True, False), (401, True, False), (404, True, False), (409, True, False)],
)
def test_which_statuses_are_repeated(status, retry_safe, retried):
    policy = RetryPolicy(rng=random.Random(1))
    response = httpx.Response(status, headers={"Retry-After": "3"})
    delay = policy.next_delay(1, retry_safe=retry_safe, response=response)
    assert (delay == 3) if retried else (delay is None)


@pytest.mark.parametrize(
    ("error", "retry_safe", "retried"),
    [(httpx.ConnectError("refused"), False, True),  # never sent: always safe
     (httpx.ConnectTimeout("slow"), False, True),
     (httpx.PoolTimeout("busy"), False, True),
     (httpx.RemoteProtocolError("dropped"), True, True),
     (httpx.ReadTimeout("stalled"), True, True),
     (httpx.RemoteProtocolError("dropped"), False, False),  # a POST may have landed
     (httpx.ReadTimeout("stalled"), False, False),
     (httpx.DecodingError("garbled"), True, False),  # the same answer again
     (ValueError("not transport"), True, False)],
)
def test_which_transport_failures_are_repeated(error, retry_safe, retried):
    policy = RetryPolicy(backoff_base=1, rng=random.Random(1))
    delay = policy.next_delay(1, retry_safe=retry_safe, error=error)
    assert (delay is not None and 0 <= delay <= 1) if retried else (delay is None)


def test_attempts_are_bounded():
    policy = RetryPolicy(max_retries=2, rng=random.Random(1))
    busy = httpx.Response(503)
    assert policy.attempts == 3
    assert policy.next_delay(1, retry_safe=True, response=busy) is not None
    assert policy.next_delay(2, retry_safe=True, response=busy) is not None
    assert policy.next_delay(3, retry_safe=True, response=busy) is None
    assert RetryPolicy(max_retries=0).next_delay(1, retry_safe=True, response=busy) is None
