"""When a failed request is repeated, and after how long: one policy for every client.

ConnectWise and Trend Micro (LMPI, Email Security) clients all ask `RetryPolicy.next_delay`
after each failed attempt; it answers the seconds to wait, or None when the failure is final.
Decided here, once:
- which statuses are worth another attempt, and that 429 may be repeated for any method
  (the throttle refused the request: nothing was processed) while 5xx and dropped
  connections are repeated only when repeating is harmless (`retry_safe`);
- which transport failures provably happened before anything was sent (always safe);
- how long to wait: the server's Retry-After (delta-seconds or an HTTP date, judged
  against the server's own Date header) up to a cap, else exponential backoff with full
  jitter;
- how many attempts in all.
Time is not read here except through the response's headers, so tests run instantly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

# Statuses worth another attempt. 429: the throttle refused the request (ConnectWise
# documents 429 with `Retry-After: <seconds>`; see reference/connectwise-api.md, "Errors
# and throttling"). 502/503/504: a gateway or an overloaded node. 500: ConnectWise cloud
# answers "An unexpected error has occurred" for transient faults too; for deterministic
# ones retrying an idempotent call only costs a few requests and seconds before the same
# clear error, a fair price for not failing a whole CI run on a blip. Trend Micro's LMPI
# and Email Security document no throttling or Retry-After behaviour (unverified; Email
# Security's "API response codes" list 500 InternalServerError): the same set applies,
# and Retry-After is honoured in both of its forms if sent.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Methods whose repetition cannot duplicate anything. PATCH is added per call when every
# op is a `replace` (setting a field to a value twice is the same as once); a POST that
# only reads (a search, a report) is marked retry-safe by its caller.
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
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN: no answer
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter; Retry-After honoured up to a cap; at most
    `max_retries` repeats after the first attempt.

    A client may give each request a jitter source of its own (`stream(request)`, seeded
    from `rng` once and the request's identity), so that a seeded client waits the same
    delays whichever of its threads retries first; without one, `rng` is drawn from."""

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    rng: random.Random = field(default_factory=random.Random)
    _seed: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._seed = self.rng.getrandbits(64)

    @property
    def attempts(self) -> int:
        """Attempts in all, the first included."""
        return self.max_retries + 1

    def stream(self, request: str) -> random.Random:
        """The jitter source of one request (e.g. `GET <url> <params>`)."""
        return random.Random(f"{self._seed}:{request}")

    def backoff(self, failures: int, jitter: random.Random | None = None) -> float:
        """Delay before the next attempt after `failures` consecutive failures (>= 1)."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (failures - 1)))
        return (jitter or self.rng).uniform(0, ceiling)

    def delay(self, failures: int, response: httpx.Response | None,
              jitter: random.Random | None = None) -> float:
        """Retry-After when the server gave one (capped), else backoff."""
        if response is not None:
            wait = parse_retry_after(response.headers.get("Retry-After"), _server_now(response))
            if wait is not None:
                return min(wait, self.retry_after_max)
        return self.backoff(failures, jitter)

    @staticmethod
    def retries_status(status: int, *, retry_safe: bool) -> bool:
        """Whether an answer with this status is worth repeating the request for."""
        return status in RETRY_STATUSES and (status == 429 or retry_safe)

    @staticmethod
    def retries_error(error: BaseException, *, retry_safe: bool) -> bool:
        """Whether a transport failure is worth repeating the request for: a drop or a
        deadline when repeating is harmless, a failure before sending always. Anything
        else (an answer too large, an undecodable body) fails the same way again."""
        if isinstance(error, NOT_SENT_ERRORS):
            return True
        return retry_safe and isinstance(error, httpx.TransportError)

    def next_delay(
        self,
        attempt: int,
        *,
        retry_safe: bool,
        response: httpx.Response | None = None,
        error: BaseException | None = None,
        jitter: random.Random | None = None,
    ) -> float | None:
        """Seconds to wait before attempt `attempt + 1` after attempt `attempt` failed with
        `response` (an error status) or `error` (a transport failure); None: give up.
        `jitter`: the request's own stream (see `stream`)."""
        if attempt > self.max_retries:
            return None
        if response is not None:
            if not self.retries_status(response.status_code, retry_safe=retry_safe):
                return None
            return self.delay(attempt, response, jitter)
        if error is None or not self.retries_error(error, retry_safe=retry_safe):
            return None
        return self.delay(attempt, None, jitter)


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
