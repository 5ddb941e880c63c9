"""A bulk read of run-due that fails (after the client's retries) fails exactly the sends
it concerns, naming the read and why; every other send still goes out, and the next run
finishes the job.

ConnectWise answers 503 to the chosen requests only (every retry included), so which
reads fail does not depend on timing."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_plus

import httpx
import pytest

from reconciler.connectwise.gateway import HttpGateway, http
from reconciler.sandbox import transport
from tests.sends import world
from tests.sends.test_run_due import FIRST, at, outcomes, run

Predicate = Callable[[httpx.Request], bool]


class Refusing(httpx.BaseTransport):
    """The in-process sandbox, except that requests matching `refuse` get a 503."""

    def __init__(self, app, refuse: Predicate) -> None:
        self.inner, self.refuse = transport(app), refuse
        self.refused: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.refuse(request):
            self.refused.append(f"{request.method} {request.url.path}")
            return httpx.Response(503, text="<html>503 Service Unavailable</html>",
                                  headers={"Content-Type": "text/html"})
        return self.inner.handle_request(request)


def refusing_gateway(app, refuse: Predicate) -> tuple[HttpGateway, Refusing]:
    interposer = Refusing(app, refuse)
    return world.gateway(app, transport=interposer), interposer


def conditions(request: httpx.Request) -> str:
    return unquote_plus(request.url.params.get("conditions", ""))


def listing(path: str, *needles: str) -> Predicate:
    """GETs of `path` whose conditions hold every needle."""
    def match(request: httpx.Request) -> bool:
        return (request.method == "GET" and request.url.path.endswith(path)
                and all(n in conditions(request) for n in needles))
    return match


@pytest.fixture
def one_clause_per_request(monkeypatch):
    """Every key clause in a request of its own, so a failed request concerns one
    customer's kind (a big fleet's batches carry many)."""
    monkeypatch.setattr(http, "CONDITIONS_BUDGET", 1)


def failed(report) -> dict[str, str]:
    return {r.key: r.detail for r in report.results if r.outcome == "failed"}


def test_a_failed_window_read_fails_only_the_customer_whose_keys_it_carried(
        data, app, one_clause_per_request):
    fleet = world.fleet(data)
    client, site = refusing_gateway(app, listing("/service/tickets", ":HOOLI:"))
    report = run(fleet, client, at(2026, 11, 25, 12))
    assert site.refused and all(r.endswith("/service/tickets") for r in site.refused)

    hooli = {k for k in FIRST if ":HOOLI:" in k}
    assert set(failed(report)) == hooli  # one row per kind, for the period due now
    for detail in failed(report).values():
        assert detail.startswith("reading what was sent since 2026-07-23 failed: ConnectWise ")
        assert "GET /service/tickets (503)" in detail and "[after 6 attempts]" in detail
        assert detail.endswith("the next run tries again")
    assert {k: v for k, v in outcomes(report).items() if k not in hooli} == \
        {k: v for k, v in FIRST.items() if k not in hooli}  # everyone else was sent
    assert not report.ok
    assert not [t for t in world.tickets(app) if ":HOOLI:" in str(t["externalXRef"])]

    again = run(fleet, world.gateway(app), at(2026, 11, 25, 13))  # ConnectWise is back
    assert {k: v for k, v in outcomes(again).items() if k in hooli} == dict.fromkeys(hooli,
                                                                                      "sent")
    assert again.ok


def test_a_failed_history_read_fails_only_that_customer_and_kind(
        data, app, one_clause_per_request):
    fleet = world.fleet(data)
    history_of_stark_hes = listing("/service/tickets", 'like "tmrm:hes:STARK:%"')
    client, site = refusing_gateway(app, history_of_stark_hes)
    report = run(fleet, client, at(2026, 11, 25, 12))

    assert list(failed(report)) == ["tmrm:hes:STARK:2026-11-24"]
    assert failed(report)["tmrm:hes:STARK:2026-11-24"].startswith(
        "reading what was sent before 2026-07-23 failed: ConnectWise ")
    assert outcomes(report) == {**FIRST, "tmrm:hes:STARK:2026-11-24": "failed"}
    assert len(site.refused) == 6  # one listing, retried; nothing else was refused


def test_a_failed_agreements_read_fails_the_billing_of_the_companies_it_carried(
        data, app, monkeypatch):
    fleet = world.fleet(data)
    client, site = refusing_gateway(app, listing("/finance/agreements", "HOOLI"))
    whole = client.client.in_chunks_of
    # one company per chunk, as many chunks of a big fleet are
    monkeypatch.setattr(client.client, "in_chunks_of", lambda path, field, values, **options: [
        c for v in values for c in whole(path, field, [v], **options)])
    report = run(fleet, client, at(2026, 11, 25, 12))
    assert len(site.refused) == 6  # Hooli's chunk, retried; the others' were read

    assert list(failed(report)) == ["tmrm:billing:HOOLI:2026-09"]
    detail = failed(report)["tmrm:billing:HOOLI:2026-09"]
    assert detail.startswith("reading the agreements of company HOOLI failed: ConnectWise ")
    assert "GET /finance/agreements (503)" in detail
    assert "nothing was billed, the next run tries again" in detail
    assert outcomes(report) == {**FIRST, "tmrm:billing:HOOLI:2026-09": "failed"}


def test_a_failed_additions_read_fails_that_billing_only(data, app):
    fleet = world.fleet(data)
    client, _ = refusing_gateway(app, listing("/finance/agreements/111/additions"))
    report = run(fleet, client, at(2026, 11, 25, 12))

    assert list(failed(report)) == ["tmrm:billing:STARK:2026-09"]
    assert failed(report)["tmrm:billing:STARK:2026-09"].startswith(
        "reading the additions of agreement 111 failed: ConnectWise ")
    assert outcomes(report) == {**FIRST, "tmrm:billing:STARK:2026-09": "failed"}
    assert world.addition_quantity(app, 111, "TM-WFBSS") == 70  # the seed's, untouched


def test_a_failed_routing_read_fails_every_send_and_is_read_once(data, app):
    fleet = world.fleet(data)
    client, site = refusing_gateway(app, listing("/service/boards"))
    mark = len(app.request_log)
    report = run(fleet, client, at(2026, 11, 25, 12))

    assert set(failed(report)) == set(FIRST)
    assert all(d.startswith("reading the ticket routing (board, status, priority, type) "
                            "failed: ConnectWise ") for d in failed(report).values())
    assert len(site.refused) == 6  # read once for the run (retried), not once per send
    assert world.methods_since(app, mark) == {"GET"}  # nothing written


def test_connectwise_down_fails_every_customer_and_kind_once(data, app):
    fleet = world.fleet(data)
    client, _ = refusing_gateway(app, lambda request: "/apis/3.0/" in request.url.path)
    report = run(fleet, client, at(2026, 11, 25, 12))

    assert set(failed(report)) == set(FIRST)  # one row per customer and kind
    assert not report.ok and len(report.results) == len(FIRST)
