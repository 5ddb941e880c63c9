"""The client against the sandbox, in process and over real HTTP on 127.0.0.1.

The sandbox shares no code with the client, so these tests check the client's requests
against an independent reading of the ConnectWise API.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from reconciler.connectwise import (
    BadRequest,
    ConnectWiseClient,
    Credentials,
    ServerError,
    SiteError,
    TransportFailed,
    Unauthorized,
    replace_ops,
)
from reconciler.connectwise import conditions as c
from reconciler.connectwise.gateway import HttpGateway
from reconciler.connectwise.ratelimit import RateLimiter
from reconciler.sandbox import create_app, serve, transport
from tests.connectwise.conftest import FakeTime

CREDS = Credentials(
    "sandbox", "sandbox-public", "sandbox-private", "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42"
)
COMPANIES = 300
SEED = {
    "lookups": {
        "company_statuses": [{"id": 1, "name": "Active"}],
        "locations": [{"id": 1, "name": "Main"}],
        "departments": [{"id": 1, "name": "Service"}],
    },
    "companies": [
        {"identifier": f"C{i:04d}", "name": f"Company {i}"} for i in range(1, COMPANIES + 1)
    ],
    "boards": [
        {
            "name": "Billing",
            "location": {"id": 1},
            "department": {"id": 1},
            "statuses": [{"name": "New"}],
        }
    ],
}


@dataclass
class Sandbox:
    app: object
    time: FakeTime
    mode: str
    site: str
    transport: object | None

    def client(self, credentials: Credentials = CREDS, **options) -> ConnectWiseClient:
        options.setdefault("sleep", self.time.sleep)
        options.setdefault("clock", self.time.clock)
        options.setdefault("rng", random.Random(3))
        return ConnectWiseClient(self.site, credentials, transport=self.transport, **options)

    def tickets(self, summary: str) -> int:
        with self.client() as client:
            return client.count("/service/tickets", c.eq("summary", summary))


class Current:
    """A WSGI app forwarding to the test's own sandbox, so one loopback server (slow to
    shut down) serves every test of the module while each test gets fresh state."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Current, str]]:
    current = Current()
    with serve(current) as url:
        yield current, url


@pytest.fixture(params=["in-process", "http"])
def sandbox(request) -> Iterator[Sandbox]:
    app = create_app(seed=SEED)
    if request.param == "in-process":
        yield Sandbox(app, FakeTime(), "in-process", "http://127.0.0.1", transport(app))
    else:
        current, url = request.getfixturevalue("served")
        current.app = app
        yield Sandbox(app, FakeTime(), "http", url, None)


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[ConnectWiseClient]:
    with sandbox.client() as client:
        yield client


def test_discovers_the_on_premise_codebase(client):
    assert client.base_url.endswith("/v4_6_release/apis/3.0")


def test_unknown_company_and_wrong_keys_are_clear_errors(sandbox):
    nobody = Credentials("nobody", "a", "b", CREDS.client_id)
    with sandbox.client(nobody) as client, pytest.raises(SiteError, match="'nobody' not found"):
        client.get("/system/info")
    wrong = Credentials("sandbox", "sandbox-public", "not-the-key", CREDS.client_id)
    with sandbox.client(wrong) as client:
        with pytest.raises(Unauthorized) as info:
            client.get("/company/companies")
        assert "not-the-key" not in str(info.value)


def test_navigable_paging_reads_everything_with_one_request_per_page(client):
    records = client.list("/company/companies", page_size=50, fields="id,identifier")
    assert [r["identifier"] for r in records] == [f"C{i:04d}" for i in range(1, COMPANIES + 1)]
    assert set(records[0]) <= {"id", "identifier", "_info"}
    assert client.request_count == 1 + COMPANIES // 50


def test_forward_only_paging(client):
    records = client.list("/company/companies", page_size=70, forward_only=True)
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    assert len(records) == COMPANIES
    assert client.request_count == 1 + 5  # pages of 70, 70, 70, 70, 20


def test_order_by_conditions_and_count(client):
    first = client.list("/company/companies", order_by="identifier desc", page_size=5)
    assert first[0]["identifier"] == f"C{COMPANIES:04d}"
    condition = c.and_(c.like("identifier", "C00*"), c.ne("identifier", "C0001"))
    assert client.count("/company/companies", condition) == 98
    assert client.count("/company/companies") == COMPANIES


def test_bulk_reads_keep_urls_under_2000_characters(sandbox, client):
    wanted = [f"C{i:04d}" for i in range(1, COMPANIES + 1, 2)] * 2 + ["NOPE"]
    records = HttpGateway(client).companies(wanted).records
    assert sorted(r.identifier for r in records) == sorted(set(wanted) - {"NOPE"})
    lists = [uri for method, uri in sandbox.app.request_log if "conditions=" in uri]
    assert len(lists) >= 2
    assert all(len("http://127.0.0.1:65535" + uri) < 2000 for uri in lists)


def test_values_with_punctuation_round_trip(client):
    name = "O'Brien & Sons (UK) Ltd., 50% off: #1"
    created = client.post("/company/companies", {"identifier": "OBRIEN", "name": name})
    found = client.list("/company/companies", conditions=c.eq("name", name))
    assert [r["id"] for r in found] == [created["id"]]
    both = client.list("/company/companies", conditions=c.in_("name", [name, "Company 7"]),
                       fields="id")
    assert sorted(r["id"] for r in both) == sorted([created["id"], 7])


def test_patch(client):
    company = client.list("/company/companies", conditions=c.eq("identifier", "C0007"))[0]
    path = f"/company/companies/{company['id']}"
    assert client.patch(path, replace_ops(name="Seven Ltd"))["name"] == "Seven Ltd"
    assert client.get(path)["name"] == "Seven Ltd"


def test_validation_errors_are_typed(client):
    with pytest.raises(BadRequest) as info:
        client.post("/company/companies", {"identifier": "NONAME"})
    error = info.value
    assert error.status == 400 and error.code
    assert any(e.field == "name" for e in error.errors)
    assert str(error).startswith("ConnectWise refused POST /company/companies (400 ")


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "504", "drop"])
def test_reads_recover_from_faults(sandbox, client, kind):
    sandbox.app.faults.fail_next(kind, 2)
    assert client.count("/company/companies") == COMPANIES
    assert client.request_count == 1 + 3
    assert len(sandbox.time.sleeps) == 2


def test_retry_after_is_honoured(sandbox, client):
    sandbox.app.faults.retry_after = 4
    sandbox.app.faults.fail_next("429", 2)
    client.get("/system/info")
    assert sandbox.time.sleeps == [4.0, 4.0]


def test_writes_that_are_idempotent_recover(sandbox, client):
    sandbox.app.faults.fail_next("drop", 1)
    sandbox.app.faults.fail_next("503", 1)
    assert client.patch("/company/companies/3", replace_ops(name="Three"))["name"] == "Three"


@pytest.mark.parametrize(
    ("kind", "error"), [("drop", TransportFailed), ("503", ServerError), ("500", ServerError)]
)
def test_a_post_is_never_blindly_retried(sandbox, client, kind, error):
    summary = f"billing under {kind}"
    body = {"summary": summary, "company": {"identifier": "C0001"}, "board": {"name": "Billing"}}
    client.get("/system/info")  # discovery and a first call out of the way
    sandbox.app.faults.fail_next(kind, 1)
    with pytest.raises(error):
        client.post("/service/tickets", body)
    assert sandbox.tickets(summary) == 0  # refused once, never repeated
    client.post("/service/tickets", body)  # the caller decides; the next run converges
    assert sandbox.tickets(summary) == 1


def test_a_post_refused_by_the_throttle_is_retried_once_created(sandbox, client):
    summary = "billing under 429"
    sandbox.app.faults.fail_next("429", 2)
    client.post(
        "/service/tickets",
        {"summary": summary, "company": {"identifier": "C0001"}, "board": {"name": "Billing"}},
    )
    assert sandbox.tickets(summary) == 1


def test_concurrent_reads_share_one_client(sandbox, client):
    ids = list(range(1, 41))
    names = HttpGateway(client).parallel(
        lambda i: client.get(f"/company/companies/{i}")["name"], ids)
    assert names == [f"Company {i}" for i in ids]
    assert client.request_count == 41


def test_random_faults_do_not_break_a_full_read(sandbox):
    from reconciler.sandbox import Faults

    sandbox.app.faults = Faults(rate_429=0.1, rate_5xx=0.1, rate_drop=0.1, seed=11)
    with sandbox.client() as client:
        records = client.list("/company/companies", page_size=25)
        assert len(records) == COMPANIES
        assert client.request_count > 1 + COMPANIES // 25  # faults happened and were retried


def _throttled_sandbox(sandbox: Sandbox) -> None:
    """Put the sandbox's per-minute throttle on the test's fake clock."""
    from datetime import UTC, datetime

    from reconciler.sandbox import Faults

    sandbox.app.clock = lambda: datetime.fromtimestamp(sandbox.time.now, UTC)
    sandbox.app.faults = Faults(throttle_per_minute=20)


def test_client_rate_limit_stays_under_the_throttle(sandbox):
    _throttled_sandbox(sandbox)
    with sandbox.client(rate_limit_per_minute=20) as client:
        for i in range(1, 41):
            client.get(f"/company/companies/{i}")
        assert client.request_count == 41  # not a single 429
    assert 60 <= sandbox.time.now - 1000.0 <= 2 * RateLimiter.WINDOW + 1


def test_without_a_client_rate_limit_the_throttle_is_waited_out(sandbox):
    _throttled_sandbox(sandbox)
    with sandbox.client(rate_limit_per_minute=None) as client:
        for i in range(1, 41):
            client.get(f"/company/companies/{i}")
        assert client.request_count > 41  # 429s, each retried after its Retry-After
    assert all(s >= 1 for s in sandbox.time.sleeps)
