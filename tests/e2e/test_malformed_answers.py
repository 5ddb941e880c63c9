"""A ConnectWise answering malformed records, over real HTTP on 127.0.0.1: plan, apply and
run-due exit 1 naming the customer concerned, and nothing is created for it. The others
go on. (A product identifier answered as a number once made `plan` see no managed
additions and `apply --yes` create duplicates with exit 0.)

The site is the sandbox behind a proxy that rewrites chosen records of its JSON answers,
or answers a POST with a list without passing it on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox import create_app, serve
from tests.served_fleet import cw_env, make_fleet, run_inprocess

API = "/v4_6_release/apis/3.0"
ENV = cw_env("sandbox-private")
AT = "2026-12-01T12:00:00-05:00"
WRITES = ("POST", "PATCH", "PUT", "DELETE")

Rewrite = Callable[[str, Any], Any]  # (API path, decoded answer) -> answer


@dataclass
class Hostile:
    """A WSGI proxy in front of the sandbox that spoils answers on demand."""

    app: Any
    rewrites: list[Rewrite] = field(default_factory=list)
    swallowed_posts: set[str] = field(default_factory=set)  # API paths answered with []

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        api = path.removeprefix(API) if path.startswith(API) else None
        if method == "POST" and api in self.swallowed_posts:
            start_response("201 Created", [("Content-Type", "application/json")])
            return [b"[]"]
        answered: dict[str, Any] = {}

        def capture(status, headers, exc_info=None):
            answered.update(status=status, headers=headers)
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        if api is not None and method == "GET" and body and self.rewrites:
            data = json.loads(body)
            for rewrite in self.rewrites:
                data = rewrite(api, data)
            body = json.dumps(data).encode()
        headers = [(k, v) for k, v in answered["headers"] if k.lower() != "content-length"]
        start_response(answered["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def writes(self, since: int = 0) -> list[tuple[str, str]]:
        """Writes the sandbox itself received (a swallowed POST never reaches it)."""
        return [(m, u.removeprefix(API)) for m, u in self.app.request_log[since:]
                if m in WRITES and u.startswith(API)]


def spoil(path: str, where: tuple[str, Any], **fields: Any) -> Rewrite:
    """Answers of `path` carry the records whose field `where[0]` is `where[1]` with
    `fields` replaced."""
    name, value = where

    def rewrite(api: str, data: Any) -> Any:
        if api != path or not isinstance(data, list):
            return data
        return [{**r, **fields} if r.get(name) == value else r for r in data]
    return rewrite


def record(path: str, record_id: int, **fields: Any) -> Rewrite:
    return spoil(path, ("id", record_id), **fields)


def ticket_with_key(key: str, **fields: Any) -> Rewrite:
    return spoil("/service/tickets", ("externalXRef", key), **fields)


@pytest.fixture
def site(tmp_path) -> Iterator[tuple[Hostile, Path]]:
    hostile = Hostile(create_app(seed=None))
    with serve(hostile) as url:
        yield hostile, make_fleet(tmp_path / "fleet", url)


def cli(root: Path, *args: str):
    return run_inprocess(root, list(args), ENV)


def converge(root: Path) -> None:
    """Apply the example fleet, so that run-due has every addition it bills."""
    assert cli(root, "apply", "--yes").exit_code == 0


def ticket_keys(hostile: Hostile) -> list[str]:
    with hostile.app.store.session() as state:
        return [t.get("externalXRef") or "" for t in state.records("tickets")]


def rows(run) -> list[dict]:
    return json.loads(run.stdout)["results"]


@pytest.mark.parametrize(("rewrite", "customer", "says"), [
    (record("/finance/agreements/101/additions", 1001, product={"identifier": 5}), "acme",
     "malformed addition 1001: product.identifier is a number, expected text"),
    (record("/company/companies", 19, identifier=5), "acme",
     "malformed company 19: identifier is a number, expected text"),
    (record("/finance/agreements", 104, id="abc"), "globex",
     "malformed agreement: id is text, expected a whole number"),
    (record("/finance/agreements/105/additions", 1008, quantity="lots"), "initech",
     "malformed addition 1008: quantity is text, expected a number"),
], ids=["product-identifier-a-number", "company-identifier-a-number", "agreement-id-text",
        "quantity-text"])
def test_plan_and_apply_stop_at_the_malformed_record_for_its_customer_only(
        site, rewrite, customer, says):
    hostile, root = site
    hostile.rewrites.append(rewrite)
    plan = cli(root, "plan", "--format", "json")
    assert plan.exit_code == 1, plan.text()
    data = json.loads(plan.stdout)
    [error] = [e for e in data["errors"] if e["customer"] == customer]
    assert says in error["message"] and "nothing is planned for it" in error["message"]
    assert customer not in {c["customer"] for c in data["changes"]}  # never "create it"
    assert {c["customer"] for c in data["changes"]}  # the others are planned

    before = len(hostile.app.request_log)
    applied = cli(root, "apply", "--yes")
    assert applied.exit_code == 1, applied.text()
    assert f"not planned  {customer}: company" in applied.text()
    written = hostile.writes(before)
    assert written  # the other customers were applied ...
    company_agreements = {"acme": (101, 102), "globex": (104,), "initech": (105,)}[customer]
    assert not [w for w in written
                if any(f"/finance/agreements/{a}/" in w[1] for a in company_agreements)]


def test_the_duplicate_creating_mode_creates_nothing(site):
    """Every managed addition's product identifier answered as a number: plan used to see
    no managed additions at all and apply created them all again."""
    hostile, root = site
    spoiled: set[str] = set()  # agreements whose additions were answered spoiled

    def numeric_products(api: str, data: Any) -> Any:
        if not api.endswith("/additions") or not isinstance(data, list) or not data:
            return data
        if ("POST", API + api) not in hostile.app.request_log:  # answered before a create
            spoiled.add(api)
        return [{**r, "product": {"identifier": 5}} for r in data]

    hostile.rewrites.append(numeric_products)
    before = len(hostile.app.request_log)
    applied = cli(root, "apply", "--yes")
    assert applied.exit_code == 1, applied.text()
    posts = [uri for method, uri in hostile.writes(before) if method == "POST"]
    assert spoiled and not [uri for uri in posts if uri in spoiled]
    assert posts == ["/finance/agreements/117/additions"]  # vandelay's: really empty


@pytest.mark.parametrize(("rewrite", "customer", "says"), [
    (record("/finance/agreements/101/additions", 1001, product={"identifier": 5}), "acme",
     "malformed addition 1001: product.identifier is a number"),
    (record("/finance/agreements", 104, name=7), "globex",
     "malformed agreement 104: name is a number, expected text"),
    (record("/finance/agreements/105/additions", 1008, quantity="lots"), "initech",
     "malformed addition 1008: quantity is text"),
], ids=["product-identifier-a-number", "agreement-name-a-number", "quantity-text"])
def test_run_due_fails_the_billing_of_that_customer_and_sends_the_others(
        site, rewrite, customer, says):
    hostile, root = site
    converge(root)
    hostile.rewrites.append(rewrite)
    before = len(hostile.app.request_log)
    run = cli(root, "run-due", "--at", AT, "--format", "json")
    assert run.exit_code == 1, run.text()
    billing = [r for r in rows(run) if r["customer"] == customer and r["kind"] == "billing"]
    assert billing and all(r["outcome"] == "failed" and says in r["detail"] for r in billing)
    sent = {r["customer"] for r in rows(run) if r["outcome"] == "sent"}
    assert sent - {customer}  # the others went out
    assert not [w for w in hostile.writes(before)
                if w[0] == "POST" and f"tmrm:billing:{customer.upper()}" in w[1]]
    prefix = f"tmrm:billing:{customer.upper()}:"
    assert not [k for k in ticket_keys(hostile) if k.startswith(prefix)]


def test_a_malformed_ticket_in_the_key_reads_is_never_read_as_not_sent(site):
    hostile, root = site
    converge(root)
    first = cli(root, "run-due", "--at", AT, "--format", "json")
    assert first.exit_code == 0, first.text()
    key = next(r["key"] for r in rows(first)
               if r["customer"] == "umbrella" and r["kind"] == "hosted_email_security")
    hostile.rewrites.append(ticket_with_key(key, id="abc"))
    before = len(hostile.app.request_log)
    again = cli(root, "run-due", "--at", AT, "--format", "json")
    assert again.exit_code == 1, again.text()
    found = rows(again)
    [row] = [r for r in found if r["customer"] == "umbrella"
             and r["kind"] == "hosted_email_security"]
    assert row["outcome"] == "failed" and "cannot tell what was sent" in row["detail"]
    assert "malformed ticket: id is text" in row["detail"]
    assert {r["outcome"] for r in found if r is not row} == {"already_sent"}
    assert hostile.writes(before) == []  # nothing sent twice


def test_creates_answered_with_a_list_fail_and_create_nothing(site):
    hostile, root = site
    hostile.swallowed_posts.add("/finance/agreements/102/additions")  # acme's apex-one
    before = len(hostile.app.request_log)
    applied = cli(root, "apply", "--yes")
    assert applied.exit_code == 1, applied.text()
    failed = [line for line in applied.stdout.decode().splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and failed[0].startswith("FAILED       acme: create apex-one")
    assert "malformed created addition: the answer is a list" in failed[0]
    assert not [w for w in hostile.writes(before) if "/agreements/102/" in w[1]]

    hostile.swallowed_posts = {"/service/tickets"}
    before = len(hostile.app.request_log)
    run = cli(root, "run-due", "--at", AT, "--customer", "stark", "--format", "json")
    assert run.exit_code == 1, run.text()
    posting = [r for r in rows(run) if r["outcome"] not in ("already_sent", "skipped")]
    assert posting and {r["outcome"] for r in posting} == {"failed"}
    assert all("the answer is a list" in r["detail"] for r in posting)
    assert not [w for w in hostile.writes(before) if w == ("POST", "/service/tickets")]
