"""The client-side sliding-window rate limit (instant: the clock and sleep are fakes)."""

import pytest

from reconciler.connectwise.ratelimit import RateLimiter


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
    assert t.now == pytest.approx(61.0)  # a minute and a second: see RateLimiter
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
    assert t.now == pytest.approx(2 * RateLimiter.WINDOW)
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
