"""The ConnectWise Manage REST client: one httpx.Client shared by worker threads.

Responsibilities kept here: addressing (site URL, codebase discovery), sending with
retries and the rate limit, paging and chunked `in (...)` reads. Credentials, conditions,
Link parsing, retry policy and errors each live in their own module.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote as url_quote

import httpx

from reconciler.connectwise.auth import DEFAULT_API_VERSION, Credentials, api_headers
from reconciler.connectwise.chunking import in_conditions
from reconciler.connectwise.errors import (
    ConnectWiseError,
    TransportFailed,
    UnusableAnswer,
    from_response,
)
from reconciler.connectwise.hosts import on_site, same_site
from reconciler.connectwise.paging import PageGuard, next_url
from reconciler.connectwise.ratelimit import RateLimiter
from reconciler.connectwise.site import (
    check_codebase,
    check_site_url,
    codebase_from_company_info,
)
from reconciler.net import bounded
from reconciler.net.retry import IDEMPOTENT_METHODS, NOT_SENT_ERRORS, RetryPolicy

log = logging.getLogger("reconciler.connectwise")

MAX_PAGE_SIZE = 1000
MAX_URL_LENGTH = 2000  # request URLs stay strictly under this many characters
# Pages one list may take: a million records at pageSize 1000, far beyond any fleet's read;
# past it a server is paging in circles (new ids every page, so no repeat is seen).
MAX_PAGES = 1000


def replace_ops(**fields: Any) -> list[dict[str, Any]]:
    """PATCH ops setting each field to a value: `[{"op": "replace", "path": k, "value": v}]`."""
    return [{"op": "replace", "path": name, "value": value} for name, value in fields.items()]


class ConnectWiseClient:
    """A ConnectWise Manage API client. Paths are relative to the API base
    (`/company/companies`); the base is `{site}/{codebase}apis/3.0`."""

    def __init__(
        self,
        site_url: str,
        credentials: Credentials,
        *,
        codebase: str | None = None,
        transport: httpx.BaseTransport | None = None,
        rate_limit_per_minute: int | None = 900,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        retry_after_max: float = 120.0,
        timeout: float = 30.0,
        deadline: float = bounded.DEFAULT_DEADLINE,
        max_response_bytes: int = bounded.DEFAULT_MAX_BYTES,
        max_pages: int = MAX_PAGES,
        page_size: int = MAX_PAGE_SIZE,
        concurrency: int = 8,
        api_version: str | None = DEFAULT_API_VERSION,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.site_url = check_site_url(site_url)
        self._credentials = credentials
        self._codebase = check_codebase(codebase) if codebase is not None else None
        self.page_size = max(1, min(MAX_PAGE_SIZE, int(page_size)))
        # Requests this client may have in flight at once (sizes its connection pool; the
        # gateway runs up to this many at a time).
        self.concurrency = max(1, int(concurrency))
        self.retry = RetryPolicy(
            max_retries=max(0, max_retries),
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            retry_after_max=retry_after_max,
            rng=rng or random.Random(),
        )
        self.limiter = RateLimiter(rate_limit_per_minute, clock=clock, sleep=sleep)
        self._sleep = sleep
        # Every exchange is bounded as a whole (reconciler.net.bounded): `timeout` is per
        # socket operation, `deadline` for connect + send + the whole answer, whose body
        # is read up to `max_response_bytes` after decompression. A list holds at most
        # `max_response_bytes` over all its pages, in at most `max_pages` pages.
        self.deadline = float(deadline)
        self.max_response_bytes = max(1, int(max_response_bytes))
        self.max_pages = max(1, int(max_pages))
        # httpx.Headers masks Authorization in its repr, so even a traceback printed with
        # local variables (pytest -l, rich tracebacks) does not show the token.
        self.api_version = api_version  # None: no version asked for (the latest models)
        self._headers = httpx.Headers(api_headers(credentials, api_version))
        limits = httpx.Limits(max_connections=max(10, 2 * self.concurrency))
        self._http = httpx.Client(
            transport=transport or bounded.DeadlineTransport(limits=limits,
                                                             proxy_for=self.site_url),
            timeout=timeout,
            follow_redirects=False,  # a redirect must never carry our credentials elsewhere
            limits=limits,
        )
        self._lock = threading.Lock()
        self._discover_lock = threading.Lock()
        self._by_method: Counter[str] = Counter()

    # -- housekeeping -------------------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"ConnectWiseClient(site_url={self.site_url!r}, "
            f"company_id={self._credentials.company_id!r})"
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ConnectWiseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def request_count(self) -> int:
        """Every HTTP attempt made, retries and discovery included."""
        with self._lock:
            return sum(self._by_method.values())

    # -- addressing ---------------------------------------------------------------------
    @property
    def codebase(self) -> str:
        """The site's codebase (e.g. `v2025_1/`), discovered on first use."""
        if self._codebase is None:
            with self._discover_lock:
                if self._codebase is None:
                    self._codebase = self._discover()
        return self._codebase

    @property
    def discovered(self) -> bool:
        """Whether the codebase is known (given, or discovered already): no discovery
        request is left to make."""
        return self._codebase is not None

    @property
    def base_url(self) -> str:
        return f"{self.site_url}/{self.codebase}apis/3.0"

    def _discover(self) -> str:
        company = self._credentials.company_id
        path = f"/login/companyinfo/{url_quote(company, safe='')}"
        response = self._send("GET", self.site_url + path, path=path, authenticate=False)
        try:
            info = response.json()
        except ValueError:
            info = "not JSON"
        return codebase_from_company_info(info, company, self.site_url, path)

    def url(self, path: str) -> str:
        """Absolute URL of an API path."""
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + path

    # -- sending ------------------------------------------------------------------------
    def _count(self, method: str) -> None:
        with self._lock:
            self._by_method[method] += 1

    def _send(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_safe: bool | None = None,
        authenticate: bool = True,
    ) -> httpx.Response:
        """One logical request: rate-limited attempts with retries; a 2xx response or a
        typed error. `retry_safe` says whether repeating a request that may have reached
        the server is harmless (default: by method)."""
        if retry_safe is None:
            retry_safe = method in IDEMPOTENT_METHODS
        all_headers = httpx.Headers(self._headers if authenticate else {"Accept": "*/*"})
        all_headers["Accept-Encoding"] = bounded.ACCEPT_ENCODING  # what we inflate within caps
        all_headers.update(headers or {})
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        attempt = 0
        # this request's own backoff jitter, whichever thread retries first
        jitter = self.retry.stream(f"{method} {url} {params}")
        while True:
            attempt += 1
            self.limiter.acquire()
            self._count(method)
            request = self._http.build_request(
                method, url, params=params, content=content, headers=all_headers
            )
            try:
                response = bounded.send(self._http, request, deadline=self.deadline,
                                        max_bytes=self.max_response_bytes)
            except httpx.RequestError as exc:  # transport failures, stalls, oversized bodies
                log.debug("%s %s -> %s (attempt %d)", method, path, type(exc).__name__, attempt)
                delay = self.retry.next_delay(attempt, retry_safe=retry_safe, error=exc,
                                              jitter=jitter)
                if delay is None:
                    raise self._transport_error(exc, method, path, attempt, retry_safe) from exc
                self._wait(method, path, attempt, type(exc).__name__, delay, throttled=False)
                continue
            status = response.status_code
            log.debug("%s %s -> %d (attempt %d)", method, path, status, attempt)
            if status < 300:
                return response
            response.read()
            # 429 comes from the throttle in front of the API: the request was refused,
            # not processed, so the policy repeats it for every method including POST.
            delay = self.retry.next_delay(attempt, retry_safe=retry_safe, response=response,
                                          jitter=jitter)
            if delay is not None:
                self._wait(method, path, attempt, str(status), delay, throttled=status == 429)
                continue
            raise from_response(
                response, method, path, attempts=attempt, scrub=self._credentials.scrub
            )

    def _wait(
        self, method: str, path: str, attempt: int, why: str, delay: float, *, throttled: bool
    ) -> None:
        log.info(
            "retrying %s %s after %s in %.1f s (attempt %d of %d)",
            method,
            path,
            why,
            delay,
            attempt + 1,
            self.retry.max_retries + 1,
        )
        if throttled:
            self.limiter.pause(delay)  # every thread holds back, not just this one
        else:
            self._sleep(delay)

    def _transport_error(
        self, exc: httpx.RequestError, method: str, path: str, attempts: int, retry_safe: bool
    ) -> TransportFailed:
        detail = self._credentials.scrub(str(exc)) or "connection failed"
        if not isinstance(exc, NOT_SENT_ERRORS) and not retry_safe:
            detail += " (not retried: the request may have reached ConnectWise)"
        return TransportFailed(
            None, type(exc).__name__, detail, (), method, path, attempts=attempts
        )

    @staticmethod
    def _json(response: httpx.Response, method: str, path: str) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            raise ConnectWiseError(
                response.status_code, "", "the answer is not valid JSON", (), method, path
            ) from exc

    # -- verbs --------------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self._send("GET", self.url(path), path=path, params=params)
        return self._json(response, "GET", path)

    def get_with_headers(self, path: str, params: Mapping[str, Any] | None = None
                         ) -> tuple[Any, httpx.Headers]:
        """`get`, with the answer's headers (what a site says about itself: its API
        version, its clock)."""
        response = self._send("GET", self.url(path), path=path, params=params)
        return self._json(response, "GET", path), response.headers

    def post(self, path: str, body: Any, *, idempotent: bool = False) -> Any:
        """Create; never repeated once the request may have reached the server, unless
        the caller marks it `idempotent` (a POST that only reads, like
        `/service/tickets/search`)."""
        response = self._send("POST", self.url(path), path=path, body=body, retry_safe=idempotent)
        return self._json(response, "POST", path)

    def patch(self, path: str, ops: Sequence[Mapping[str, Any]]) -> Any:
        """PATCH with a JSON-patch-style array; retried only if every op is `replace`."""
        ops = list(ops)
        for op in ops:
            if not isinstance(op, Mapping) or op.get("op") not in ("add", "replace", "remove"):
                raise ValueError(f"invalid PATCH op {op!r}: op must be add, replace or remove")
            if not isinstance(op.get("path"), str) or not op["path"]:
                raise ValueError(f"invalid PATCH op {op!r}: path is required")
        safe = all(op["op"] == "replace" for op in ops)
        response = self._send("PATCH", self.url(path), path=path, body=ops, retry_safe=safe)
        return self._json(response, "PATCH", path)

    # -- lists --------------------------------------------------------------------------
    def _list_params(
        self,
        conditions: str | None,
        fields: str | Sequence[str] | None,
        order_by: str | None,
        page_size: int,
        params: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        query: dict[str, Any] = dict(params or {})
        if conditions:
            query["conditions"] = conditions
        if fields:
            query["fields"] = fields if isinstance(fields, str) else ",".join(fields)
        if order_by:
            query["orderBy"] = order_by
        query["pageSize"] = page_size
        return query

    def iter_list(
        self,
        path: str,
        *,
        conditions: str | None = None,
        fields: str | Sequence[str] | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
        forward_only: bool = False,
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record of a list endpoint, page by page.

        Navigable paging follows `Link rel="next"` until absent; forward-only paging sends
        `pagination-type: forward-only` and follows the next `pageId` link. If a server
        sends no Link header at all, a full page means "ask for the next one".
        """
        size = max(1, min(MAX_PAGE_SIZE, page_size or self.page_size))
        if forward_only and order_by:
            raise ValueError("forward-only paging is always ordered by id; drop order_by")
        base_query = self._list_params(conditions, fields, order_by, size, params)
        headers = {"pagination-type": "forward-only"} if forward_only else {}
        page = 1
        query: dict[str, Any] | None = (
            dict(base_query) if forward_only else {**base_query, "page": page}
        )
        url: str | httpx.URL = self.url(path)
        origin = httpx.URL(self.site_url)
        pages = PageGuard(path, self.max_pages, self.max_response_bytes)
        while True:
            response = self._send("GET", url, path=path, params=query, headers=headers)
            items = self._json(response, "GET", path)
            if not isinstance(items, list):
                raise ConnectWiseError(response.status_code, "", "expected a list", (), "GET", path)
            if not all(isinstance(item, dict) for item in items):  # every reader does .get()
                raise ConnectWiseError(response.status_code, "", "expected a list of records",
                                       (), "GET", path)
            pages.read(response.request.url, len(response.content), items)
            yield from items
            if not items:
                return
            page += 1
            nxt = next_url(response)
            if nxt is not None:
                # either form of the site's host (api-na. / na.), never another site; the
                # request goes to the configured origin itself (connectwise/hosts.py)
                if not same_site(origin, nxt):
                    raise UnusableAnswer(response.status_code, "",
                                         "the next-page link points to another host", (),
                                         "GET", path)
                url, query = on_site(origin, nxt), None
            elif "Link" not in response.headers and len(items) >= size:
                url = self.url(path)
                if forward_only:
                    query = {**base_query, "pageId": items[-1].get("id")}
                else:
                    query = {**base_query, "page": page}
            else:
                return
            pages.check_next(httpx.URL(url, params=query) if query is not None else url)

    def list(self, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        """All records as a list (see `iter_list` for the arguments)."""
        return list(self.iter_list(path, **kwargs))

    def count(self, path: str, conditions: str | None = None) -> int:
        """`GET {path}/count` with the same filters."""
        params = {"conditions": conditions} if conditions else None
        body = self.get(path.rstrip("/") + "/count", params)
        if not isinstance(body, dict) or not isinstance(body.get("count"), int):
            raise ConnectWiseError(200, "", 'expected {"count": N}', (), "GET", path + "/count")
        return body["count"]

    def in_chunks_of(
        self,
        path: str,
        field: str,
        values: Iterable[Any],
        *,
        conditions: str | None = None,
        fields: str | Sequence[str] | None = None,
        order_by: str | None = None,
        max_url_length: int = MAX_URL_LENGTH,
    ) -> list[tuple[str, tuple[Any, ...]]]:
        """The `conditions` strings that split `field in (...)` over `values` so that each
        request URL (fully encoded, page parameters included) is under max_url_length,
        each with the values it carries."""

        def url_length(condition: str) -> int:  # called only when there are values
            query = self._list_params(condition, fields, order_by, self.page_size, None)
            query["page"] = 99999  # worst case, so later pages fit too
            return len(str(httpx.URL(self.url(path), params=query)))

        return in_conditions(
            field, values, url_length, conditions=conditions, max_url_length=max_url_length
        )

    def in_chunks(self, path: str, field: str, values: Iterable[Any], **options: Any
                  ) -> list[str]:
        """`in_chunks_of`'s conditions alone."""
        return [condition for condition, _ in self.in_chunks_of(path, field, values,
                                                                **options)]
