import random
from datetime import UTC, datetime

import httpx
import pytest

from reconciler.connectwise.retry import RateLimiter, RetryPolicy, parse_retry_after

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("30", NOW) == 30
    assert parse_retry_after(" 2.5 ", NOW) == 2.5
    assert parse_retry_after("Wed, 25 Nov 2026 12:00:45 GMT", NOW) == 45
    assert parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", NOW) == 0
    assert parse_retry_after("-5", NOW) == 0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


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


class Time:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, s):
        self.sleeps.append(s)
        self.now += s


def test_rate_limiter_allows_per_minute_in_any_window():
    t = Time()
    limiter = RateLimiter(900, clock=lambda: t.now, sleep=t.sleep)
    for _ in range(900):
        limiter.acquire()
    assert t.sleeps == []
    limiter.acquire()  # the 901st waits for the first to leave the window
    assert t.now == pytest.approx(60.0)
    stamps = []
    for _ in range(2000):
        limiter.acquire()
        stamps.append(t.now)
    # never more than 900 starts in any 60-second window
    j = 0
    for i, s in enumerate(stamps):
        while stamps[j] <= s - 60:
            j += 1
        assert i - j + 1 <= 900


def test_rate_limiter_is_configurable_and_can_be_off():
    t = Time()
    limiter = RateLimiter(10, clock=lambda: t.now, sleep=t.sleep)
    for _ in range(25):
        limiter.acquire()
    assert t.now == pytest.approx(120.0)
    off = RateLimiter(None, clock=lambda: t.now, sleep=t.sleep)
    before = len(t.sleeps)
    for _ in range(5000):
        off.acquire()
    assert len(t.sleeps) == before
    with pytest.raises(ValueError):
        RateLimiter(0, clock=lambda: 0, sleep=t.sleep)


def test_pause_holds_everyone_back():
    t = Time()
    limiter = RateLimiter(900, clock=lambda: t.now, sleep=t.sleep)
    limiter.pause(30)
    limiter.pause(5)  # never shortens
    limiter.acquire()
    assert t.now == pytest.approx(30.0)
