"""When and how long to wait: retry policy (backoff, Retry-After) and the rate limiter.

Both take their clock and sleep as parameters so tests run instantly.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

# Statuses worth another attempt. 429: the throttle refused the request. 502/503/504: a
# gateway or an overloaded node. 500: ConnectWise cloud answers "An unexpected error has
# occurred" for transient faults too; for deterministic ones retrying an idempotent call
# only costs a few requests and seconds before the same clear error, a fair price for not
# failing a whole CI run on a blip. None of 5xx is ever retried for a POST (see client).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Methods whose repetition cannot duplicate anything. PATCH is added per call when every
# op is a `replace` (setting a field to a value twice is the same as once).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# Transport failures that provably happened before the request was sent, so even a POST
# may be repeated: no connection was established or none was free.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter; Retry-After honoured up to a cap."""

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, failures: int) -> float:
        """Delay before the next attempt after `failures` consecutive failures (>= 1)."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (failures - 1)))
        return self.rng.uniform(0, ceiling)

    def delay(self, failures: int, response: httpx.Response | None) -> float:
        """Retry-After when the server gave one (capped), else backoff."""
        if response is not None:
            header = response.headers.get("Retry-After")
            now = _server_now(response)
            wait = parse_retry_after(header, now)
            if wait is not None:
                return min(wait, self.retry_after_max)
        return self.backoff(failures)


def _server_now(response: httpx.Response) -> datetime:
    """The server's idea of now (its Date header) so an HTTP-date Retry-After is not
    skewed by our clock; falls back to ours."""
    try:
        date = parsedate_to_datetime(response.headers.get("Date", ""))
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        return date
    except (TypeError, ValueError, IndexError):
        return datetime.now(UTC)


class RateLimiter:
    """At most `per_minute` requests in any sliding 60-second window, shared by threads.

    A sliding window (not a token bucket refilled per second) because ConnectWise's
    throttle counts requests per minute: a bucket would allow twice the limit in the
    first minute. `pause(seconds)` holds every thread back after a 429.
    """

    WINDOW = 60.0

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
