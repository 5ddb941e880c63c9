"""HTTP for the Trend Micro sources (LMPI, Email Security): one retry loop, one URL check.

Every request these sources make only reads (LMPI's summary report is a read-only POST),
so 429, 5xx and dropped connections are retried a bounded number of times, honouring
Retry-After. The retry decision and the URL check are two small functions on purpose:
the project is moving to one shared retry policy and one outbound-URL policy for
ConnectWise and Trend Micro, and adopting them here is meant to be a one-line change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from reconciler.net.retry import RETRY_STATUSES, parse_retry_after
from reconciler.net.urls import is_loopback_host as is_loopback
from reconciler.sources.model import SourceError

BACKOFF_BASE = 0.5
BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 120.0


def retry_delay(attempt: int, response: httpx.Response | None) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None when the answer is final.

    `response` None means the connection failed (always worth another try: reads only).
    Deterministic backoff (no jitter): one collector per fleet, nothing to de-synchronise.
    """
    if response is not None and response.status_code not in RETRY_STATUSES:
        return None
    backoff = min(BACKOFF_BASE * 2.0 ** attempt, BACKOFF_MAX)
    if response is not None:
        wait = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
        if wait is not None:
            return min(wait, RETRY_AFTER_MAX)
    return backoff


def check_url(url: str, setting: str) -> str:
    """The base URL without a trailing slash, or SourceError: https://, or plain http://
    only to loopback (the simulator); never credentials in the URL."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise SourceError(f"{setting} {url!r} is not a valid URL") from None
    if "@" in parts.netloc:
        raise SourceError(f"{setting} must not contain credentials; they come from the "
                          "environment")
    if not host or parts.scheme not in ("https", "http") or (
            parts.scheme == "http" and not is_loopback(host)):
        raise SourceError(f"{setting} {url!r} must be https:// (plain http only to loopback)")
    return url.rstrip("/")


class Transient(Exception):
    """A request that kept failing (429/5xx/drops) after every attempt."""


class ReadingClient:
    """An httpx client whose requests are retried as reads; counts requests made."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None, attempts: int = 4,
                 sleep: Callable[[float], None] = time.sleep, timeout: float = 30.0) -> None:
        self._client = httpx.Client(transport=transport, timeout=timeout)
        self._attempts = max(1, attempts)
        self._sleep = sleep
        self.attempts = self._attempts
        self.request_count = 0

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, url: str, *, headers: Callable[[], Mapping[str, str]],
                params: Mapping[str, str] | None = None, content: bytes | None = None,
                ) -> httpx.Response:
        """The final answer (any status) or Transient naming the last problem.

        `headers` is called for every attempt: signed requests sign afresh."""
        problem = ""
        for attempt in range(self._attempts):
            self.request_count += 1
            try:
                response = self._client.request(method, url, params=params, content=content,
                                                headers=dict(headers()))
            except httpx.TransportError as exc:
                problem, response = f"connection failed ({type(exc).__name__})", None
            else:
                problem = f"{response.status_code} {response.reason_phrase}".strip()
            delay = retry_delay(attempt, response)
            if delay is None:
                assert response is not None
                return response
            if attempt + 1 < self._attempts:
                self._sleep(delay)
        raise Transient(f"after {self._attempts} attempts: {problem}")
