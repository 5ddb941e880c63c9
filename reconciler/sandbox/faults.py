"""Faults on demand, in front of the ConnectWise API paths like the CDN and load balancers
of a cloud instance: latency, 429 with Retry-After, 5xx, dropped connections and a
per-minute throttle. `fail_next` queues exact faults for tests; `forbid` stands in for a
security role that lacks one permission (403 to matching requests).

Random faults repeat exactly: the fault of the app's n-th API request is decided by
`random.Random(f"{seed}:{n}")` alone (`fault_for(n)`), never by a generator shared
between threads, so the same seed gives the same fault sequence on every run and machine
whichever thread happens to draw first. (With concurrent clients, which request gets
number n still follows the threads' timing: tests assert what holds for every order.)
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from .responses import ApiError, error_body

FAIL_KINDS = ("429", "500", "502", "503", "504", "drop")


class DropConnection(Exception):
    """Raised by the app: close the connection without answering."""


@dataclass
class Faults:
    """Fault knobs; may be changed at run time (tests flip them on a live app)."""

    latency_ms: int = 0
    rate_429: float = 0.0
    retry_after: int = 1
    rate_5xx: float = 0.0
    rate_drop: float = 0.0
    throttle_per_minute: int = 0
    seed: int = 0
    _requests: int = field(init=False, repr=False, compare=False)
    _queue: deque = field(init=False, repr=False, compare=False)
    _window: deque = field(init=False, repr=False, compare=False)
    _lock: threading.Lock = field(init=False, repr=False, compare=False)
    _forbidden: list = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("rate_429", "rate_5xx", "rate_drop"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        for name in ("latency_ms", "retry_after", "throttle_per_minute"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.rate_429 + self.rate_5xx + self.rate_drop > 1.0:
            raise ValueError("rate_429 + rate_5xx + rate_drop must not exceed 1")
        self._requests = 0
        self._queue = deque()
        self._window = deque()
        self._lock = threading.Lock()
        self._forbidden = []

    def fail_next(self, kind: str, n: int = 1) -> None:
        """Answer the next `n` API requests with this fault ("429", "500".."504", "drop")."""
        kind = str(kind)
        if kind not in FAIL_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAIL_KINDS)}")
        with self._lock:
            self._queue.extend([kind] * n)

    def forbid(self, method: str, path_pattern: str) -> None:
        """Answer 403 to every `method` request whose API path (after `/apis/3.0/`)
        matches the regex `path_pattern`, as for a role without that permission."""
        with self._lock:
            self._forbidden.append((method.upper(), re.compile(path_pattern, re.IGNORECASE)))

    def allow_all(self) -> None:
        """Undo every `forbid` (the role was fixed)."""
        with self._lock:
            self._forbidden.clear()

    def forbids(self, method: str, path: str) -> bool:
        with self._lock:
            return any(m == method.upper() and p.search(path) for m, p in self._forbidden)

    @property
    def requests(self) -> int:
        """API requests seen so far (the number of the latest one)."""
        with self._lock:
            return self._requests

    def fault_for(self, n: int) -> str | None:
        """The random fault of API request number `n` (from 1), or None: a pure function
        of (seed, n) and the rates."""
        if not (self.rate_drop or self.rate_429 or self.rate_5xx):
            return None
        draw = random.Random(f"{self.seed}:{n}")
        value = draw.random()
        if value < self.rate_drop:
            return "drop"
        if value < self.rate_drop + self.rate_429:
            return "429"
        if value < self.rate_drop + self.rate_429 + self.rate_5xx:
            return draw.choice(("500", "502", "503", "504"))
        return None

    def apply(self, now: float) -> None:
        """Run before an API request: sleep, then maybe raise a fault. `now` in seconds."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        with self._lock:
            self._requests += 1  # every API request has its number, faulted or not
            n = self._requests
            if self._queue:
                _raise(self._queue.popleft(), self.retry_after)
            if self.throttle_per_minute:
                while self._window and now - self._window[0] >= 60:
                    self._window.popleft()
                if len(self._window) >= self.throttle_per_minute:
                    wait = max(1, math.ceil(60 - (now - self._window[0])))
                    _raise("429", wait)
            kind = self.fault_for(n)
            if kind is not None:
                _raise(kind, self.retry_after if kind == "429" else 0)
            if self.throttle_per_minute:
                self._window.append(now)


def _raise(kind: str, retry_after: int) -> None:
    if kind == "drop":
        raise DropConnection()
    if kind == "429":
        # 429 with Retry-After, body {"error", "message"}: [guide] ("Too many requests.
        # Please try again in 30 seconds."). The throttle sits in front of the API, so a
        # body may also be no JSON at all (unverified); the client honours Retry-After and
        # shows either (tests/connectwise/test_client_errors.py, test_client_retries.py).
        raise ApiError(429, {"error": "ConnectWiseAPI", "message":
                             f"Too many requests. Please try again in {retry_after} seconds."},
                       headers={"Retry-After": str(retry_after)})
    if kind == "500":
        raise ApiError(500, error_body("ConnectWiseApi", "An unexpected error has occurred."))
    reason = {"502": "Bad Gateway", "503": "Service Unavailable", "504": "Gateway Timeout"}[kind]
    # 502/503/504 come from the load balancer as HTML, not JSON: unverified (cloud sites
    # do answer 5xx, [guide]); the client retries and reports any body the same way.
    raise ApiError(int(kind), f"<html><body><h1>{kind} {reason}</h1></body></html>",
                   content_type="text/html; charset=utf-8")
