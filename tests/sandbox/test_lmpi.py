"""Trend Micro LMPI summary report: signature checks and the report body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest

from reconciler.sandbox import transport

from .conftest import NOW

PATH = "/LMPI/v3/reports/summary"
ACME = "6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01"


def sign(secret: str, posix: str, method: str, uri: str, body: bytes) -> str:
    # Written out here from the documented recipe, not imported from the sandbox.
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode() if body else ""
    mac = hmac.new(secret.encode(), (posix + method + uri + md5).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def call(app, payload, *, token="sandbox-lmpi-token", secret="sandbox-lmpi-secret",
         skew=0, tamper=False):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    posix = str(int(NOW.timestamp()) + skew)
    sig = sign(secret, posix, "POST", PATH, body)
    headers = {"x-access-token": token, "x-posix-time": posix, "x-signature": sig,
               "x-traceid": "4a1f0c7e-1111-4222-8333-944455556666",
               "Content-Type": "application/json"}
    if tamper:
        body = body.replace(b"11", b"10")
    client = httpx.Client(transport=transport(app), base_url="http://sandbox.test")
    return client.post(PATH, content=body, headers=headers)


def test_signed_request_returns_the_month(app):
    r = call(app, {"report_cycle_year": 2026, "report_cycle_month": 11})
    assert r.status_code == 200
    body = r.json()
    assert body["report_cycle_year"] == 2026 and body["report_cycle_month"] == 11
    acme = [i for i in body["items"] if i["customer_id"] == ACME]
    assert {i["product_name"] for i in acme} == {"Worry-Free Business Security Services",
                                                 "Apex One as a Service"}
    assert set(acme[0]) == {"customer_id", "customer_name", "product_name", "service_plan",
                            "unit", "provisioned", "used"}
    assert any(i["used"] is None for i in body["items"])


def test_customer_filter_and_empty_month(app):
    r = call(app, {"report_cycle_year": 2026, "report_cycle_month": 9, "customer_id": ACME})
    assert {i["customer_id"] for i in r.json()["items"]} == {ACME}
    r = call(app, {"report_cycle_year": 2025, "report_cycle_month": 1})
    assert r.status_code == 200 and r.json()["items"] == []


@pytest.mark.parametrize("kwargs", [
    {"token": "wrong"}, {"secret": "wrong"}, {"skew": 301}, {"skew": -301}, {"tamper": True},
])
def test_bad_token_signature_or_stale_time_is_401(app, kwargs):
    r = call(app, {"report_cycle_year": 2026, "report_cycle_month": 11}, **kwargs)
    assert r.status_code == 401
    assert set(r.json()) == {"error_code", "message"}
    assert "sandbox-lmpi-secret" not in r.text


def test_time_within_300_seconds_is_fine(app):
    assert call(app, {"report_cycle_year": 2026, "report_cycle_month": 11},
                skew=-299).status_code == 200


@pytest.mark.parametrize("payload", [
    b"{nope", [], {"report_cycle_year": 2026}, {"report_cycle_year": "2026",
                                                "report_cycle_month": 11},
    {"report_cycle_year": 2026, "report_cycle_month": 13},
    {"report_cycle_year": 2026, "report_cycle_month": 11, "customer_id": 5},
])
def test_bad_body_is_400(app, payload):
    assert call(app, payload).status_code == 400


@pytest.mark.parametrize("row, message", [
    ({"month": "2026-13"}, "month must look like"),
    ({"provisioned": -1}, "provisioned must be a whole number"),
    ({"used": "many"}, "used must be a whole number"),
    ({"customer_id": 5}, "customer_id must be text"),
])
def test_bad_usage_rows_in_a_seed_are_refused(row, message):
    from reconciler.sandbox.seed import SeedError, build_state

    good = {"month": "2026-11", "customer_id": "c", "customer_name": "C",
            "product_name": "P", "service_plan": "S", "unit": "seats", "provisioned": 1,
            "used": None}
    with pytest.raises(SeedError, match=message):
        build_state({"lmpi_usage": [{**good, **row}]})
