"""Trend Micro LMPI as documented: signature checks, the Customer Summary report and
Customers :: Query, and what the simulator refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import urlencode

import httpx
import pytest

from reconciler.sandbox import transport
from tests.sandbox.conftest import NOW

PATH = "/LMPI/v3/reports/summary"
ACME = "6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01"


def sign(secret: str, posix: str, method: str, uri: str, body: bytes) -> str:
    # Written out here from the documented recipe, not imported from the sandbox.
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode() if body else ""
    mac = hmac.new(secret.encode(), (posix + method + uri + md5).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def call(app, payload=None, *, method="POST", uri=PATH, token="sandbox-lmpi-token",
         secret="sandbox-lmpi-secret", skew=0, tamper=False):
    body = b"" if payload is None else (
        payload if isinstance(payload, bytes) else json.dumps(payload).encode())
    posix = str(int(NOW.timestamp()) + skew)
    sig = sign(secret, posix, method, uri, body)
    headers = {"x-access-token": token, "x-posix-time": posix, "x-signature": sig,
               "x-traceid": "4a1f0c7e-1111-4222-8333-944455556666",
               "Content-Type": "application/json; charset=utf-8"}
    if tamper:
        body = body.replace(b"11", b"10")
    client = httpx.Client(transport=transport(app), base_url="http://sandbox.test")
    return client.request(method, uri, content=body, headers=headers)


NOVEMBER = {"report_cycle_year": "2026", "report_cycle_month": "11"}


def test_summary_answers_in_the_documented_shape(app):
    r = call(app, NOVEMBER)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"summary"}
    acme = [row for row in body["summary"] if row["customer"] == "Acme Corporation"]
    assert {row["product_name"] for row in acme} == {"Worry-Free Business Security Services",
                                                    "Apex One as a Service"}
    # the documented fields (customer is a name: the report carries no customer id)
    assert set(acme[0]) == {"customer", "city", "state", "owned_by_vendor",
                            "created_by_vendor", "product_name", "service_plan", "unit",
                            "provisioned", "used"}
    assert any(row["used"] is None for row in body["summary"])


def test_v2_path_answers_too_and_other_months(app):
    r = call(app, {"report_cycle_year": "2026", "report_cycle_month": "09"},
             uri="/LMPI/v2/reports/summary")
    assert r.status_code == 200 and len(r.json()["summary"]) == 17
    r = call(app, {"report_cycle_year": "2025", "report_cycle_month": "01",
                   "language_code": "en-US"})
    assert r.status_code == 200 and r.json()["summary"] == []


def test_data_older_than_two_years_is_not_kept(app):
    r = call(app, {"report_cycle_year": "2024", "report_cycle_month": "10"})
    assert r.status_code == 200 and r.json()["summary"] == []


@pytest.mark.parametrize("kwargs", [
    {"token": "wrong"}, {"secret": "wrong"}, {"skew": 901}, {"skew": -901}, {"tamper": True},
])
def test_bad_token_signature_or_time_beyond_15_minutes_is_401(app, kwargs):
    r = call(app, NOVEMBER, **kwargs)
    assert r.status_code == 401
    assert set(r.json()) == {"error_code", "message"}
    assert "sandbox-lmpi-secret" not in r.text


def test_time_within_15_minutes_is_fine(app):
    assert call(app, NOVEMBER, skew=-899).status_code == 200
    assert call(app, NOVEMBER, skew=899).status_code == 200


@pytest.mark.parametrize("payload", [
    b"{nope", [], {"report_cycle_year": "2026"},
    # integers, where the documentation requires strings "YYYY" and "MM"
    {"report_cycle_year": 2026, "report_cycle_month": 11},
    {"report_cycle_year": "2026", "report_cycle_month": 11},
    {"report_cycle_year": "2026", "report_cycle_month": "7"},
    {"report_cycle_year": "2026", "report_cycle_month": "13"},
    {**NOVEMBER, "partner_id": "not-a-guid"},
    {**NOVEMBER, "language_code": 5},
])
def test_bad_body_is_400(app, payload):
    r = call(app, payload)
    assert r.status_code == 400 and set(r.json()) == {"error_code", "message"}


def customers_uri(**params) -> str:
    base = {"created_start": "2000-01-01T00:00:00Z", "created_end": "2026-11-25T00:00:00Z"}
    return "/LMPI/v3/customers?" + urlencode({**base, **params})


def test_customers_query_pages_and_fields(app):
    r = call(app, method="GET", uri=customers_uri(limit=4, page=1))
    assert r.status_code == 200
    body = r.json()
    assert body["paging"] == {"total": 10, "limit": 4, "page": 1}
    assert [c["name"] for c in body["customers"]][:1] == ["Acme Corporation"]
    assert body["customers"][0]["customer_id"] == ACME
    assert set(body["customers"][0]) == {"customer_id", "name", "address", "city", "state",
                                         "postal_code", "country", "status", "note",
                                         "emergency_email"}
    last = call(app, method="GET", uri=customers_uri(limit=4, page=3)).json()
    assert len(last["customers"]) == 2 and last["paging"]["page"] == 3
    default = call(app, method="GET", uri=customers_uri()).json()
    assert default["paging"]["limit"] == 25 and len(default["customers"]) == 10


def test_customers_created_outside_the_window_are_left_out(app):
    r = call(app, method="GET", uri=customers_uri(created_end="2020-01-01T00:00:00Z"))
    assert r.json()["customers"] == [] and r.json()["paging"]["total"] == 0


@pytest.mark.parametrize("uri", [
    "/LMPI/v3/customers",  # created_start and created_end are required
    customers_uri(created_start="2000-01-01"),
    customers_uri(limit=101), customers_uri(limit=0), customers_uri(page=0),
])
def test_customers_query_refuses_what_the_page_does_not_allow(app, uri):
    r = call(app, method="GET", uri=uri)
    assert r.status_code == 400


def test_wrong_method_is_405(app):
    assert call(app, method="GET", uri=PATH).status_code == 405
    assert call(app, NOVEMBER, uri=customers_uri()).status_code == 405


@pytest.mark.parametrize("row, message", [
    ({"month": "2026-13"}, "month must look like"),
    ({"provisioned": -1}, "provisioned must be a whole number"),
    ({"used": "many"}, "used must be a whole number"),
    ({"customer": 5}, "customer must be text"),
])
def test_bad_usage_rows_in_a_seed_are_refused(row, message):
    from reconciler.sandbox.seed import SeedError, build_state

    good = {"month": "2026-11", "customer": "C", "product_name": "P", "service_plan": "S",
            "unit": "seats", "provisioned": 1, "used": None}
    with pytest.raises(SeedError, match=message):
        build_state({"lmpi_usage": [{**good, **row}]})


@pytest.mark.parametrize("row, message", [
    ({"customer_id": 5}, "customer_id must be text"),
    ({"name": ""}, "name must be text"),
    ({"created": "2024-03-01"}, "created must look like"),
])
def test_bad_customers_in_a_seed_are_refused(row, message):
    from reconciler.sandbox.seed import SeedError, build_state

    good = {"customer_id": "c", "name": "C", "created": "2024-03-01T09:00:00Z"}
    with pytest.raises(SeedError, match=message):
        build_state({"lmpi_customers": [{**good, **row}]})


def test_a_state_file_of_the_former_row_shape_is_read_in_todays(tmp_path):
    from reconciler.sandbox import create_app

    state = tmp_path / "state.json"
    state.write_text(json.dumps({"format": 1, "collections": {}, "next_id": {}, "lmpi_usage": [
        {"month": "2026-11", "customer_id": ACME, "customer_name": "Acme Corporation",
         "product_name": "P", "service_plan": "S", "unit": "seats", "provisioned": 3,
         "used": 2}]}))
    old = create_app(state_path=state, clock=lambda: NOW)
    assert call(old, NOVEMBER).json()["summary"][0]["customer"] == "Acme Corporation"
    listed = call(old, method="GET", uri=customers_uri()).json()["customers"]
    assert [(c["customer_id"], c["name"]) for c in listed] == [(ACME, "Acme Corporation")]
    assert old.tmems.domains["acme.example"] == 3.0  # and the packaged Email Security logs
