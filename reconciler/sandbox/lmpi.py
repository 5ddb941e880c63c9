"""Trend Micro LMPI as documented: the Customer Summary report and Customers :: Query.

Sources (docs.trendmicro.com/en-us/documentation/article/...):
- "Report :: Customer :: Summary" (`licensing-management-platform-api-reportcustomersummar`
  v3, `..._001` v2): `POST /LMPI/{v3,v2}/reports/summary`, `report_cycle_year` "YYYY" and
  `report_cycle_month` "MM" required *strings*; optional `partner_id`, `product_id`
  (GUIDs), `language_code`; answer `{"summary": [...]}` with `customer` (a name), `city`,
  `state`, `owned_by_vendor`, `created_by_vendor`, `product_name`, `service_plan`,
  `provisioned` (a number in the example), ...; data kept two years.
- "Customers :: Query" (`licensing-management-platform-api-customersquery30`):
  `GET /LMPI/v3/customers`, `created_start` / `created_end` required
  ("YYYY-MM-DDThh:mm:ssZ"), `page` (default 1), `limit` (1-100, default 25); answer
  `{"paging": {"total", "limit", "page"}, "customers": [{"customer_id", "name", ...}]}`.
- "Invoking LMPI" (`licensing-management-platform-api-invokinglmpi`): `x-access-token`,
  `x-posix-time` (refused beyond 15 minutes of skew), `x-signature` = Base64(HMAC-SHA256(
  secret, posix_time + METHOD + request_uri + Base64(MD5(body)))), MD5 only with a body.
Unverified, and chosen here: the error body (`{"error_code", "message"}`), what the API
answers to integers for the cycle fields (400 here: the docs require strings), whether the
signed request URI includes the query string (here: the request target as sent), months
older than two years (an empty report here), `unit` and `used` (in the page's field table
our stored copy does not show; `used` null when a product does not report use).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from .responses import ApiError

SUMMARY = re.compile(r"^/LMPI/(v2|v3)/reports/summary$", re.IGNORECASE)
CUSTOMERS = re.compile(r"^/LMPI/(v2|v3)/customers$", re.IGNORECASE)
MAX_SKEW_SECONDS = 15 * 60  # "Invoking LMPI": more than 15 minutes apart is denied
VENDOR = "Sandbox MSP"  # who owns and created every sandbox customer
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}$")


def is_lmpi(path: str) -> bool:
    return bool(SUMMARY.match(path) or CUSTOMERS.match(path))


def signature(secret: str, posix_time: str, method: str, request_uri: str, body: bytes) -> str:
    """The signature LMPI expects (written here from the documented recipe)."""
    message = posix_time + method.upper() + request_uri
    if body:
        message += base64.b64encode(hashlib.md5(body).digest()).decode("ascii")
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _error(status: int, code: int, message: str) -> ApiError:
    return ApiError(status, {"error_code": code, "message": message})


def check_auth(headers: Mapping[str, str], method: str, request_uri: str, body: bytes,
               token: str, secret: str, now: float) -> None:
    """Raise 401 unless the token, time and signature are right. Never echoes them."""
    given_token = headers.get("x-access-token", "")
    if not hmac.compare_digest(given_token.encode(), token.encode()):
        raise _error(401, 401001, "The access token is invalid.")
    raw_time = headers.get("x-posix-time", "")
    if not re.fullmatch(r"\d{1,10}", raw_time):  # "1-10 digits, long integer"
        raise _error(401, 401002, "x-posix-time must be unix seconds.")
    if abs(now - int(raw_time)) > MAX_SKEW_SECONDS:
        raise _error(401, 401003, "The request time is too far from the server time.")
    expected = signature(secret, raw_time, method, request_uri, body)
    if not hmac.compare_digest(headers.get("x-signature", "").encode(), expected.encode()):
        raise _error(401, 401004, "The signature is invalid.")


def handle(method: str, path: str, query: str, body: bytes, customers: list[dict],
           usage: list[dict], now: datetime) -> dict:
    """The answer to an authenticated LMPI request (ApiError for a refused one)."""
    if SUMMARY.match(path):
        if method != "POST":
            raise _error(405, 405001, "Only POST is allowed.")
        return summary(body, customers, usage, now)
    if method != "GET":
        raise _error(405, 405001, "Only GET is allowed.")
    if body:  # "Do not supply a request body with this method."
        raise _error(400, 400010, "A GET request takes no body.")
    return customer_list(query, customers)


def summary(body: bytes, customers: list[dict], usage: list[dict], now: datetime) -> dict:
    """The Customer Summary report of the requested month."""
    try:
        data: Any = json.loads(body or b"null")
    except (ValueError, RecursionError):
        raise _error(400, 400001, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _error(400, 400001, "The request body must be a JSON object.")
    year, month = data.get("report_cycle_year"), data.get("report_cycle_month")
    if not isinstance(year, str) or not re.fullmatch(r"\d{4}", year):
        raise _error(400, 400002, 'report_cycle_year must be a string "YYYY".')
    if not isinstance(month, str) or not re.fullmatch(r"0[1-9]|1[0-2]", month):
        raise _error(400, 400003, 'report_cycle_month must be a string "MM" (01-12).')
    for key in ("partner_id", "product_id"):
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or not _GUID.match(value)):
            raise _error(400, 400004, f"{key} must be a GUID.")
    language = data.get("language_code", "en-US")
    if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2}-[A-Z]{2}", language):
        raise _error(400, 400005, "language_code must be a language code such as en-US.")
    if (now.year - int(year)) * 12 + now.month - int(month) > 24:
        return {"summary": []}  # "Report data is only retained for two years."
    places = {c["name"]: c for c in customers}
    rows = []
    for row in usage:
        if str(row.get("month")) != f"{year}-{month}":
            continue
        customer = places.get(row.get("customer"), {})
        rows.append({
            "customer": row.get("customer"),
            "city": customer.get("city", ""),
            "state": customer.get("state", ""),
            "owned_by_vendor": VENDOR,
            "created_by_vendor": VENDOR,
            "product_name": row.get("product_name"),
            "service_plan": row.get("service_plan"),
            "unit": row.get("unit"),
            "provisioned": row.get("provisioned"),
            "used": row.get("used"),
        })
    return {"summary": rows}


def customer_list(query: str, customers: list[dict]) -> dict:
    """Customers :: Query: the customers created in the window, one page of them."""
    params = parse_qs(query, keep_blank_values=True)

    def one(name: str) -> str | None:
        values = params.get(name)
        return values[-1] if values else None

    start, end = one("created_start"), one("created_end")
    for name, value in (("created_start", start), ("created_end", end)):
        if value is None or not _STAMP.match(value):
            raise _error(400, 400011, f'{name} is required, as "YYYY-MM-DDThh:mm:ssZ".')
    page, limit = one("page") or "1", one("limit") or "25"
    if not page.isdigit() or int(page) < 1:
        raise _error(400, 400012, "page must be a positive integer.")
    if not limit.isdigit() or not 1 <= int(limit) <= 100:
        raise _error(400, 400013, "limit must be 1 to 100.")
    assert start is not None and end is not None
    chosen = [c for c in customers if start <= str(c.get("created", "")) <= end]
    size, number = int(limit), int(page)
    shown = chosen[(number - 1) * size:number * size]
    return {
        "paging": {"total": len(chosen), "limit": size, "page": number},
        "customers": [{
            "customer_id": c["customer_id"], "name": c["name"], "address": "",
            "city": c.get("city", ""), "state": c.get("state", ""), "postal_code": "",
            "country": "US", "status": 1, "note": "", "emergency_email": "",
        } for c in shown],
    }
