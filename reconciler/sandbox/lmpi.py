"""Trend Micro LMPI's summary report: `POST /LMPI/v3/reports/summary`.

Requests are signed: `x-signature` = Base64(HMAC-SHA256(secret, posix_time + METHOD +
request_uri + Base64(MD5(body)))), the MD5 part only when there is a body; the posix time
must be within 300 s of the sandbox clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from .responses import ApiError

PATH = "/LMPI/v3/reports/summary"
MAX_SKEW_SECONDS = 300


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
    try:
        posix = int(raw_time)
    except ValueError:
        raise _error(401, 401002, "x-posix-time must be unix seconds.") from None
    if abs(now - posix) > MAX_SKEW_SECONDS:
        raise _error(401, 401003, "The request time is too far from the server time.")
    expected = signature(secret, raw_time, method, request_uri, body)
    if not hmac.compare_digest(headers.get("x-signature", "").encode(), expected.encode()):
        raise _error(401, 401004, "The signature is invalid.")


def summary(body: bytes, usage: list[dict]) -> dict:
    """The report for the requested month (and customer, when given)."""
    try:
        data: Any = json.loads(body or b"null")
    except ValueError:
        raise _error(400, 400001, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _error(400, 400001, "The request body must be a JSON object.")
    year, month = data.get("report_cycle_year"), data.get("report_cycle_month")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise _error(400, 400002, "report_cycle_year must be a year such as 2026.")
    if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
        raise _error(400, 400003, "report_cycle_month must be 1 to 12.")
    customer = data.get("customer_id")
    if customer is not None and not isinstance(customer, str):
        raise _error(400, 400004, "customer_id must be a string.")
    period = f"{year:04d}-{month:02d}"
    items = []
    for row in usage:
        if str(row.get("month")) != period:
            continue
        if customer is not None and row.get("customer_id") != customer:
            continue
        items.append({k: row.get(k) for k in (
            "customer_id", "customer_name", "product_name", "service_plan", "unit",
            "provisioned", "used")})
    return {"report_cycle_year": year, "report_cycle_month": month, "items": items}
