"""Fixtures for the sandbox conformance suite: an in-process client over WSGITransport."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest

from reconciler.sandbox import create_app, transport

API = "/v4_6_release/apis/3.0/"
CLIENT_ID = "0f9e6c0e-5d6b-4b0a-9d8e-0a1b2c3d4e5f"
NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


AUTH = {"Authorization": basic("sandbox+sandbox-public", "sandbox-private"), "clientId": CLIENT_ID}
READONLY = {"Authorization": basic("sandbox+sandbox-readonly", "sandbox-readonly-private"),
            "clientId": CLIENT_ID}


def make_client(app, headers=AUTH) -> httpx.Client:
    return httpx.Client(transport=transport(app), base_url="http://sandbox.test" + API,
                        headers=headers)


@pytest.fixture
def app():
    return create_app(clock=lambda: NOW)


@pytest.fixture
def client(app):
    with make_client(app) as c:
        yield c


def tiny_seed(companies: int = 0) -> dict:
    """A small world: lookups, one agreement type, N companies named C001.."""
    return {
        "lookups": {"company_statuses": [{"id": 1, "name": "Active"}],
                    "contacts": [{"id": 1, "name": "Pat"}]},
        "agreement_types": [{"id": 1, "name": "Managed Service", "employeeCompRate": "Actual",
                             "employeeCompNotExceed": "Billing",
                             "invoicingCycle": "CalendarYear", "billTime": "Billable",
                             "billExpenses": "Billable", "billProducts": "Billable"}],
        "catalog": [],
        "companies": [{"id": i, "identifier": f"C{i:03d}", "name": f"Company {i:03d}"}
                      for i in range(1, companies + 1)],
    }
