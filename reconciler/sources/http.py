"""HTTP reads for the Trend Micro sources (LMPI, Email Security), on the shared policies.

Every request these sources make only reads (LMPI's summary report is a read-only POST),
so repeating one is always harmless. What is repeated, how often and after how long is
reconciler.net.retry's decision (the policy the ConnectWise client follows too: 429 and
5xx, drops and stalls, Retry-After in seconds or as an HTTP date, jittered backoff,
bounded attempts), and every exchange is read through reconciler.net.bounded: a total
deadline for connect + send + the whole answer, and a size cap after decompression, so
a server that trickles or sends without end fails the source clearly in bounded time.
The URLs themselves are checked by reconciler.net.urls where the sources are set up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from reconciler.net import bounded
from reconciler.net.retry import RetryPolicy


class Transient(Exception):
    """A request that failed for good: it kept failing (429/5xx/drops/stalls) after every
    attempt, or its answer is one no retry would change (too large, undecodable)."""


def _problem(exc: httpx.RequestError) -> str:
    """What went wrong, for messages (never a URL or a header)."""
    if isinstance(exc, bounded.DeadlineExceeded | bounded.ResponseTooLarge
                  | bounded.UnreadableAnswer):
        return str(exc)
    return f"connection failed ({type(exc).__name__})"


class ReadingClient:
    """An httpx client whose requests are retried as reads and read whole within a deadline
    and a size cap; counts the attempts it made."""

    def __init__(self, *, base_url: str | None = None,
                 transport: httpx.BaseTransport | None = None, attempts: int = 4,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
                 timeout: float = 30.0, deadline: float = bounded.DEFAULT_DEADLINE,
                 max_bytes: int = bounded.DEFAULT_MAX_BYTES) -> None:
        limits = httpx.Limits(max_connections=4)
        # Without a transport of the caller's (a test's, the in-process sandbox's), every
        # socket operation is bounded by the deadline; proxies as the environment names.
        self._client = httpx.Client(
            transport=transport or bounded.DeadlineTransport(limits=limits, proxy_for=base_url),
            timeout=timeout, limits=limits,
            follow_redirects=False)  # a redirect must never carry our credentials elsewhere
        self.retry = retry or RetryPolicy(max_retries=max(1, attempts) - 1)
        self.deadline = float(deadline)
        self.max_bytes = max(1, int(max_bytes))
        self._sleep = sleep
        self.request_count = 0

    @property
    def is_closed(self) -> bool:
        return self._client.is_closed

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, url: str, *, headers: Callable[[], Mapping[str, str]],
                params: Mapping[str, str] | None = None, content: bytes | None = None,
                ) -> httpx.Response:
        """The final answer (any status the policy does not repeat), read whole, or
        Transient naming the last problem. `headers` is called for every attempt: signed
        requests sign afresh."""
        attempt = 0
        jitter = self.retry.stream(f"{method} {url} {params}")  # as the ConnectWise client
        while True:
            attempt += 1
            self.request_count += 1
            request = self._client.build_request(
                method, url, params=params, content=content,
                headers={**headers(), "accept-encoding": bounded.ACCEPT_ENCODING})
            try:
                response = bounded.send(self._client, request, deadline=self.deadline,
                                        max_bytes=self.max_bytes)
            except httpx.RequestError as exc:
                delay = self.retry.next_delay(attempt, retry_safe=True, error=exc,
                                              jitter=jitter)
                problem = _problem(exc)
            else:
                if not self.retry.retries_status(response.status_code, retry_safe=True):
                    return response
                delay = self.retry.next_delay(attempt, retry_safe=True, response=response,
                                              jitter=jitter)
                problem = f"{response.status_code} {response.reason_phrase}".strip()
            if delay is None:
                tries = "1 attempt" if attempt == 1 else f"{attempt} attempts"
                raise Transient(f"after {tries}: {problem}")
            self._sleep(delay)


class ReadingApi:
    """A Trend Micro API at `url`, read through a ReadingClient (`http`: its options); the
    subclass holds the credentials, which its repr never shows."""

    def __init__(self, url: str, **http: Any) -> None:
        self.url = url.rstrip("/")
        self._http = ReadingClient(base_url=self.url, **http)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    @property
    def request_count(self) -> int:
        return self._http.request_count

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    def close(self) -> None:
        self._http.close()
