"""The client-side rate limit under ConnectWise's per-minute throttle, shared by threads.

Its clock and sleep are parameters so tests run instantly.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most `per_minute` requests in any sliding window of a minute (and a second),
    shared by threads.

    A sliding window (not a token bucket refilled per second) because ConnectWise's
    throttle counts requests per minute: a bucket would allow twice the limit in the
    first minute. The extra second: a request is stamped here before it is sent and
    reaches the throttle a little later, so with a window of exactly 60 s latency jitter
    let the throttle see `per_minute + 1` in its minute (bench/throttle counted 429s from
    it); a 429 costs a pause of the server's Retry-After, a second costs 1.6%.
    `pause(seconds)` holds every thread back after a 429.
    """

    WINDOW = 61.0

    def __init__(
        self,
        per_minute: int | None,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        if per_minute is not None and per_minute < 1:
            raise ValueError("rate_limit_per_minute must be at least 1")
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._stamps: deque[float] = deque()
        self._paused_until = 0.0
        self.waited = 0.0  # total seconds spent waiting, for benchmarks

    def pause(self, seconds: float) -> None:
        """No request starts for `seconds` from now (extends, never shortens a pause)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def acquire(self) -> None:
        """Block (via the injected sleep) until a request may start, then record it."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._paused_until - now
                if wait <= 0 and self.per_minute is not None:
                    while self._stamps and self._stamps[0] <= now - self.WINDOW:
                        self._stamps.popleft()
                    if len(self._stamps) >= self.per_minute:
                        wait = self._stamps[0] + self.WINDOW - now
                if wait <= 0:
                    if self.per_minute is not None:
                        self._stamps.append(now)
                    return
                self.waited += wait
            self._sleep(wait)
