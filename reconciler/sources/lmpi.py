"""Trend Micro's LMPI (Licensing Management Platform) as a usage source.

`POST /LMPI/v3/reports/summary` with `{"report_cycle_year", "report_cycle_month"}` answers
every customer's provisioned and used units per product and service plan for that month.
Requests are signed as in Trend Micro's reference:
    x-signature = Base64(HMAC-SHA256(secret, posix_time + METHOD + request_uri
                                      + Base64(MD5(body))))
with `x-access-token`, `x-posix-time` and a fresh `x-traceid`. The report is read-only, so
429/5xx/dropped connections are retried by the shared policy (reconciler.net.retry: a
bounded number of times, Retry-After in seconds or as an HTTP date, jittered backoff).
Credentials come from LMPI_ACCESS_TOKEN and LMPI_SECRET_KEY and never appear in messages
or reprs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping

import httpx

from reconciler.config.model import Product
from reconciler.net.retry import RetryPolicy
from reconciler.net.urls import url_problem
from reconciler.sources.files import product_keys
from reconciler.sources.model import MonthUsage, SourceError, UsageLine, as_number

REPORT_PATH = "/LMPI/v3/reports/summary"
SANDBOX_TOKEN = "sandbox-lmpi-token"  # the embedded simulator's fixed, public credentials
SANDBOX_SECRET = "sandbox-lmpi-secret"


def sign(secret: str, posix_time: str, method: str, request_uri: str, body: bytes) -> str:
    """The x-signature header value for one request."""
    content_md5 = base64.b64encode(hashlib.md5(body).digest()).decode() if body else ""
    message = f"{posix_time}{method.upper()}{request_uri}{content_md5}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class LmpiUsageSource:
    """License usage from LMPI's monthly summary report."""

    def __init__(
        self,
        url: str,
        products: Mapping[str, Product],
        *,
        token: str,
        secret: str,
        transport: httpx.BaseTransport | None = None,
        attempts: int = 4,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.description = f"LMPI {self.url}"
        self._products = product_keys(products)
        self.__token = token
        self.__secret = secret
        self._client = httpx.Client(transport=transport, timeout=timeout)
        # The one retry policy (reconciler.net.retry), shared with the ConnectWise client.
        self._retry = retry or RetryPolicy(max_retries=max(1, attempts) - 1)
        self._clock = clock
        self._sleep = sleep
        self._cache: dict[tuple[int, int], MonthUsage | SourceError] = {}
        self.request_count = 0

    def __repr__(self) -> str:  # never show credentials
        return f"LmpiUsageSource({self.url!r})"

    def close(self) -> None:
        self._client.close()

    def usage(self, year: int, month: int) -> MonthUsage:
        key = (year, month)
        if key not in self._cache:
            try:
                self._cache[key] = self._parse(year, month, self._fetch(year, month))
            except SourceError as exc:
                self._cache[key] = exc
        found = self._cache[key]
        if isinstance(found, SourceError):
            raise found
        return found

    def _headers(self, body: bytes) -> dict[str, str]:
        posix_time = str(int(self._clock()))
        return {
            "content-type": "application/json",
            "x-access-token": self.__token,
            "x-posix-time": posix_time,
            "x-signature": sign(self.__secret, posix_time, "POST", REPORT_PATH, body),
            "x-traceid": str(uuid.uuid4()),
        }

    def _fetch(self, year: int, month: int) -> object:
        body = json.dumps({"report_cycle_year": year, "report_cycle_month": month},
                          separators=(",", ":")).encode()
        label = f"{year}-{month:02d}"
        attempt = 0
        while True:
            attempt += 1
            self.request_count += 1
            try:
                # signed afresh each attempt: the signature covers the time
                response = self._client.post(self.url + REPORT_PATH, content=body,
                                             headers=self._headers(body))
            except httpx.RequestError as exc:
                # The report only reads: repeating it is always harmless.
                delay = self._retry.next_delay(attempt, retry_safe=True, error=exc)
                problem = f"connection failed ({type(exc).__name__})"
            else:
                status = response.status_code
                if status == 200:
                    break
                if status in (401, 403):
                    raise SourceError(f"LMPI refused the credentials for the {label} usage "
                                      f"report ({status}); check LMPI_ACCESS_TOKEN and "
                                      "LMPI_SECRET_KEY")
                if not self._retry.retries_status(status, retry_safe=True):
                    raise SourceError(f"LMPI answered {status} for the {label} usage report: "
                                      f"{response.text[:200]}")
                delay = self._retry.next_delay(attempt, retry_safe=True, response=response)
                problem = f"{status} from LMPI"
            if delay is None:
                raise SourceError(f"LMPI usage report for {label} unavailable after "
                                  f"{attempt} attempts: {problem}")
            self._sleep(delay)
        try:
            return response.json()
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            raise SourceError(f"LMPI answered non-JSON for the {label} usage report") from None

    def _parse(self, year: int, month: int, data: object) -> MonthUsage:
        label = f"{year}-{month:02d}"
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise SourceError(f"LMPI usage report for {label} has no 'items' list")
        lines = []
        for number, item in enumerate(items, 1):
            where = f"LMPI {label} item {number}"
            if not isinstance(item, dict):
                raise SourceError(f"{where}: expected an object")
            product = self._products.get(str(item.get("product_name") or "").strip().lower())
            if product is None:
                continue  # a product this fleet does not bill
            customer_id = str(item.get("customer_id") or "").strip()
            if not customer_id:
                raise SourceError(f"{where}: customer_id is empty")
            lines.append(UsageLine(
                customer_id=customer_id,
                product=product,
                service_plan=str(item.get("service_plan") or ""),
                unit=str(item.get("unit") or ""),
                provisioned=as_number(item.get("provisioned"), "provisioned", where),
                used=as_number(item.get("used"), "used", where, optional=True),
                origin=where,
            ))
        return MonthUsage(year, month, tuple(lines), source=self.description)


def lmpi_from_settings(
    url: str, products: Mapping[str, Product], env: Mapping[str, str] = os.environ,
    *, transport: httpx.BaseTransport | None = None, **kwargs,
) -> LmpiUsageSource:
    """An LMPI source for `sources.usage.url`: `sandbox` is the embedded simulator, reached
    through `transport` (the runtime's sandbox branch builds it) with its public keys."""
    if url == "sandbox":
        if transport is None:
            raise SourceError("sources.usage.url sandbox needs the embedded simulator, which "
                              "only reconciler's runtime starts")
        return LmpiUsageSource("http://sandbox", products, token=SANDBOX_TOKEN,
                               secret=SANDBOX_SECRET, transport=transport, **kwargs)
    token, secret = env.get("LMPI_ACCESS_TOKEN"), env.get("LMPI_SECRET_KEY")
    if not token or not secret:
        raise SourceError("the LMPI usage source needs LMPI_ACCESS_TOKEN and LMPI_SECRET_KEY "
                          "in the environment")
    if not token.isascii():  # it travels in an HTTP header; name it, never show it
        raise SourceError("LMPI_ACCESS_TOKEN must contain only ASCII characters")
    problem = url_problem(url, "the LMPI URL (sources.usage.url)")
    if problem:
        raise SourceError(problem)
    return LmpiUsageSource(url, products, token=token, secret=secret, **kwargs)
