"""Trend Micro's LMPI (Licensing Management Platform Integration) as a usage source.

What Trend Micro documents, and this module relies on (docs.trendmicro.com/en-us/
documentation/article/..., titles in quotes):
- "Report :: Customer :: Summary" (`...licensing-management-platform-api-reportcustomersummar`,
  v3; `..._001` is v2): `POST /LMPI/v3/reports/summary` (v2: `/LMPI/v2/...`) with
  `report_cycle_year` and `report_cycle_month` as *strings* "YYYY" and "MM", optional
  `language_code` (default en-US); the answer is `{"summary": [{"customer", "city",
  "state", "owned_by_vendor", "created_by_vendor", "product_name", "service_plan",
  "provisioned", ...}]}`: one row per customer and product/service plan, the customer
  named, not identified. Report data is kept for two years. The page shows no paging for
  this report (one answer holds the month).
- "Customers :: Query" (`...licensing-management-platform-api-customersquery30`):
  `GET /LMPI/v3/customers?created_start=...&created_end=...` (both required,
  "YYYY-MM-DDThh:mm:ssZ"), `page` (default 1) and `limit` (1-100, default 25); the answer
  is `{"paging": {"total", "limit", "page"}, "customers": [{"customer_id", "name", ...}]}`.
- "Invoking LMPI" (`...licensing-management-platform-api-invokinglmpi`): every request
  carries `x-access-token`, `x-posix-time` (Unix seconds; refused beyond 15 minutes of
  skew), `x-signature` and `x-traceid` (a GUID), content-type application/json.
  x-signature = Base64(HMAC-SHA256(secret, posix_time + METHOD + request_uri
  + Base64(MD5(body)))), the MD5 part only when there is a body.

How a customer file finds its rows without guessing: `trend_micro.customer_id` is the
LMPI customer id; Customers :: Query gives that id's company name, and the report rows
are matched by that exact name. A name two LMPI customers share, an id LMPI does not
know, or one service plan reported twice for a name is an error for that customer
(billing fails naming it), never a pick.

Credentials come from LMPI_ACCESS_TOKEN and LMPI_SECRET_KEY and never appear in
messages or reprs.
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
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from reconciler import redact
from reconciler.config.model import Product
from reconciler.net.urls import url_problem
from reconciler.sources.http import ReadingApi, Transient
from reconciler.sources.model import (
    LoadedOnce,
    MonthUsage,
    RejectedLine,
    SourceError,
    UnmappedRow,
    UsageLine,
    as_number,
)
from reconciler.sources.products import ProductMap, unmapped_plan

SANDBOX_TOKEN = "sandbox-lmpi-token"  # the embedded simulator's fixed, public credentials
SANDBOX_SECRET = "sandbox-lmpi-secret"
API_VERSIONS = ("v3", "v2")
# "Customers :: Query" requires a creation window; every customer was created after this
# (the earliest accepted created_start is not documented: unverified).
CREATED_SINCE = "2000-01-01T00:00:00Z"
CUSTOMER_PAGE = 100  # the documented maximum `limit`
MAX_PAGES = 10_000  # a server that never stops paging is nonsense, not a fleet
LANGUAGE = "en-US"  # pins product and plan names to the language the mapping is written in


def report_path(api_version: str) -> str:
    return f"/LMPI/{api_version}/reports/summary"


def customers_path(api_version: str) -> str:
    # v3 documented ("Customers :: Query"); the v2 reference lists the same API
    # (unverified path shape).
    return f"/LMPI/{api_version}/customers"


def sign(secret: str, posix_time: str, method: str, request_uri: str, body: bytes) -> str:
    """The x-signature header value for one request ("Invoking LMPI")."""
    content_md5 = base64.b64encode(hashlib.md5(body).digest()).decode() if body else ""
    message = f"{posix_time}{method.upper()}{request_uri}{content_md5}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class LmpiClient(ReadingApi):
    """Signed reads from LMPI: the summary report and the customer list."""

    def __init__(self, url: str, *, token: str, secret: str, api_version: str = "v3",
                 clock: Callable[[], float] = time.time, **http: Any) -> None:
        """`clock` (Unix seconds) times the signatures; `http` configures the reads
        (`transport`, `attempts` or `retry`, `sleep`, `timeout`, `deadline`, `max_bytes`:
        see reconciler.sources.http.ReadingClient)."""
        if api_version not in API_VERSIONS:
            raise SourceError(f"LMPI api_version {api_version!r} is not one of v3, v2")
        super().__init__(url, **http)
        self.api_version = api_version
        self.__token = token
        self.__secret = secret
        self._clock = clock

    def _signed(self, method: str, request_uri: str, body: bytes) -> Callable[[], dict]:
        def headers() -> dict[str, str]:  # signed afresh each attempt: it covers the time
            posix_time = str(int(self._clock()))
            return {
                "content-type": "application/json; charset=utf-8",
                "x-access-token": self.__token,
                "x-posix-time": posix_time,
                "x-signature": sign(self.__secret, posix_time, method, request_uri, body),
                "x-traceid": str(uuid.uuid4()),
            }
        return headers

    def _call(self, method: str, request_uri: str, body: bytes, what: str) -> Any:
        try:
            response = self._http.request(method, self.url + request_uri, content=body or None,
                                          headers=self._signed(method, request_uri, body))
        except Transient as exc:
            raise SourceError(f"LMPI {what} unavailable {exc}") from None
        if response.status_code in (401, 403):
            raise SourceError(
                f"LMPI refused the credentials for the {what} ({response.status_code}); check "
                "LMPI_ACCESS_TOKEN, LMPI_SECRET_KEY and this machine's clock (LMPI allows 15 "
                "minutes of skew)")
        if response.status_code != 200:
            raise SourceError(f"LMPI answered {response.status_code} for the {what}"
                              f"{_error_text(response)}")
        try:
            return response.json()
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            raise SourceError(f"LMPI answered non-JSON for the {what}") from None

    def summary(self, year: int, month: int) -> Any:
        """The Customer Summary report of one month, as LMPI answers it."""
        # Strings "YYYY" and "MM", as documented; the API's answer to integers is not
        # documented (the simulator refuses them).
        payload = {"report_cycle_year": f"{year:04d}", "report_cycle_month": f"{month:02d}",
                   "language_code": LANGUAGE}
        body = json.dumps(payload, separators=(",", ":")).encode()
        return self._call("POST", report_path(self.api_version), body,
                          f"{year}-{month:02d} usage report")

    def customers(self) -> list[dict]:
        """Every customer of the partner (Customers :: Query), all pages."""
        now = datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        found: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            query = urlencode({"created_start": CREATED_SINCE, "created_end": now,
                               "page": page, "limit": CUSTOMER_PAGE})
            # the signed request URI is the one sent, query string included (the docs say
            # "request URI"; whether LMPI signs the query too is unverified)
            data = self._call("GET", f"{customers_path(self.api_version)}?{query}", b"",
                              "customer list")
            items = data.get("customers") if isinstance(data, dict) else None
            if items is None and isinstance(data, dict) and "customers" in data:
                items = []
            if not isinstance(items, list):
                raise SourceError("LMPI's customer list has no 'customers' list")
            found.extend(item for item in items if isinstance(item, dict))
            total = _whole(data.get("paging", {}).get("total")
                           if isinstance(data.get("paging"), dict) else None)
            if not items or len(items) < CUSTOMER_PAGE or (total is not None
                                                           and len(found) >= total):
                return found
        raise SourceError(f"LMPI's customer list did not end after {MAX_PAGES} pages")


def _whole(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    """LMPI's error message, when it gives one (its error body is not documented in the
    pages we read: unverified; any JSON `message`, else a short text)."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        text = response.text.strip()[:200]
        return f": {text}" if text else ""
    if isinstance(data, dict):
        message = data.get("message") or data.get("error_message") or data.get("error")
        code = data.get("error_code") or data.get("code")
        if message:
            return f": {message}" + (f" (code {code})" if code else "")
    return ""


class CustomerNames:
    """LMPI customer id -> the company name its report rows carry (Customers :: Query)."""

    def __init__(self, customers: list[dict]) -> None:
        self._names: dict[str, str] = {}
        self._ids_by_name: dict[str, list[str]] = {}
        for item in customers:
            cid, name = item.get("customer_id"), item.get("name")
            if isinstance(cid, str) and isinstance(name, str) and cid.strip() and name.strip():
                self._names[cid.strip().casefold()] = name.strip()  # GUIDs: any case
                self._ids_by_name.setdefault(name.strip(), []).append(cid.strip())

    def name(self, customer_id: str) -> str:
        found = self._names.get(customer_id.strip().casefold())
        if found is None:
            raise SourceError(f"LMPI has no customer with id {customer_id} (Customers :: "
                              "Query); check trend_micro.customer_id")
        ids = self._ids_by_name[found]
        if len(ids) > 1:
            raise SourceError(
                f"LMPI has {len(ids)} customers named {found!r} ({', '.join(sorted(ids))}); "
                "its report names customers, so their usage cannot be told apart: rename "
                "one in the Licensing Management Platform")
        return found


class LmpiUsageSource:
    """License usage from LMPI's monthly Customer Summary report."""

    def __init__(self, url: str, products: Mapping[str, Product], *, token: str, secret: str,
                 api_version: str = "v3", **client: Any) -> None:
        """`client`: LmpiClient's options (its clock, how it reads)."""
        self.client = LmpiClient(url, token=token, secret=secret, api_version=api_version,
                                 **client)
        self.url = self.client.url
        self.description = f"LMPI {self.url}"
        self._products = ProductMap(products)
        self._months = LoadedOnce(self._load)
        self._names = LoadedOnce(lambda: CustomerNames(self.client.customers()))

    def __repr__(self) -> str:  # never show credentials
        return f"LmpiUsageSource({self.url!r})"

    @property
    def request_count(self) -> int:
        return self.client.request_count

    def close(self) -> None:
        self.client.close()

    def usage(self, year: int, month: int) -> MonthUsage:
        return self._months(year, month)

    def _load(self, year: int, month: int) -> MonthUsage:
        return self._parse(year, month, self.client.summary(year, month))

    def customer_name(self, customer_id: str) -> str:
        """The name LMPI's report gives this customer id; the list is read once per run."""
        return self._names().name(customer_id)

    def _parse(self, year: int, month: int, data: object) -> MonthUsage:
        label = f"{year}-{month:02d}"
        rows = data.get("summary", []) if isinstance(data, dict) else None
        if rows is None:  # an empty month answered as null (plausible; unverified)
            rows = []
        if not isinstance(rows, list) or not isinstance(data, dict) or "summary" not in data:
            raise SourceError(f"LMPI usage report for {label} has no 'summary' list")
        lines, rejected, unmapped = [], [], []
        for number, row in enumerate(rows, 1):
            where = f"LMPI {label} row {number}"
            if not isinstance(row, dict):
                raise SourceError(f"{where}: expected an object")
            product_name = _text(row.get("product_name"))
            plan = _text(row.get("service_plan"))
            match = self._products.match(product_name, plan)
            customer = _text(row.get("customer"))
            if match.key is None and not match.rejected:
                unmapped.append(UnmappedRow(customer, product_name, plan, where))  # not ours
                continue
            if match.rejected:
                rejected.append(RejectedLine(
                    customer, match.candidates,
                    unmapped_plan(product_name, plan, match.candidates), where))
                continue
            assert match.key is not None
            try:
                if not customer:
                    raise SourceError(f"{where}: customer is empty")
                # numbers or numeric strings (the documented example shows a number; the
                # transactions report sends strings): both read the same
                provisioned = as_number(row.get("provisioned"), "provisioned", where)
                used = as_number(row.get("used"), "used", where, optional=True)
            except SourceError as exc:
                if customer:
                    rejected.append(RejectedLine(customer, (match.key,), str(exc), where))
                    continue
                raise
            lines.append(UsageLine(customer_id=customer, product=match.key, service_plan=plan,
                                   unit=_text(row.get("unit")), provisioned=provisioned or 0.0,
                                   used=used, origin=where))
        return MonthUsage(year, month, tuple(lines), source=self.description,
                          rejected=tuple(rejected), unmapped=tuple(unmapped),
                          resolve=self.customer_name)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def lmpi_from_settings(
    url: str, products: Mapping[str, Product], env: Mapping[str, str] = os.environ,
    *, transport: httpx.BaseTransport | None = None, api_version: str = "v3", **kwargs,
) -> LmpiUsageSource:
    """An LMPI source for `sources.usage.url`: `sandbox` is the embedded simulator, reached
    through `transport` (the runtime's sandbox branch builds it) with its public keys."""
    if url == "sandbox":
        if transport is None:
            raise SourceError("sources.usage.url sandbox needs the embedded simulator, which "
                              "only reconciler's runtime starts")
        return LmpiUsageSource("http://sandbox", products, token=SANDBOX_TOKEN,
                               secret=SANDBOX_SECRET, api_version=api_version,
                               transport=transport, **kwargs)
    token, secret = env.get("LMPI_ACCESS_TOKEN"), env.get("LMPI_SECRET_KEY")
    if not token or not secret:
        raise SourceError("the LMPI usage source needs LMPI_ACCESS_TOKEN and LMPI_SECRET_KEY "
                          "in the environment")
    redact.register(token, secret)  # never shown, wherever a vendor echoes them
    if not token.isascii():  # it travels in an HTTP header; name it, never show it
        raise SourceError("LMPI_ACCESS_TOKEN must contain only ASCII characters")
    problem = url_problem(url, "the LMPI URL (sources.usage.url)")
    if problem:
        raise SourceError(problem)
    return LmpiUsageSource(url, products, token=token, secret=secret,
                           api_version=api_version, **kwargs)
