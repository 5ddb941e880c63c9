"""HttpGateway against a scripted site: the exact requests it sends, and bad answers
stopped at the boundary (every malformed record a MalformedRecord naming the resource,
the record and whom it concerns; never "nothing there")."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import date

import httpx
import pytest

from reconciler.connectwise import ServerError
from reconciler.connectwise.errors import UnusableAnswer
from reconciler.connectwise.gateway import HttpGateway, parse
from reconciler.connectwise.gateway.http import CONDITIONS_BUDGET, batches
from reconciler.connectwise.records import MalformedRecord, NewAddition, NewTicket

DAY = date(2026, 11, 25)


def answering(routes: dict[tuple[str, str], object]):
    """A handler answering (method, API path) with JSON (201 for POST), else []."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v2025_1/apis/3.0")
        body = routes.get((request.method, path), [] if request.method == "GET" else {})
        return httpx.Response(201 if request.method == "POST" else 200, json=body)

    return handler


@pytest.fixture
def gateway_for(make_client):
    def build(routes: dict | None = None):
        client, site = make_client(answering(routes or {}), rate_limit_per_minute=None)
        return HttpGateway(client), site

    return build


def sent(site) -> list[tuple[str, str, object]]:
    return [(r.method, r.url.path.removeprefix("/v2025_1/apis/3.0"),
             json.loads(r.content) if r.content else None) for r in site.requests]


def test_addition_writes_are_the_documented_requests(gateway_for):
    gateway, site = gateway_for({("POST", "/finance/agreements/10/additions"):
                                 {"id": 7, "product": {"identifier": "TM-WFBSS"},
                                  "agreementId": 10}})
    gateway.cancel_addition(10, 5, DAY)
    created = gateway.create_addition(10, NewAddition("TM-WFBSS", "Billable", DAY, 42.0))
    gateway.update_addition(10, 6, {"billCustomer": "Billable", "cancelledDate": None})
    gateway.set_quantity(10, 6, 73.0)
    assert (created.id, created.agreement_id, created.product) == (7, 10, "TM-WFBSS")
    assert sent(site) == [
        ("PATCH", "/finance/agreements/10/additions/5",
         [{"op": "replace", "path": "cancelledDate", "value": "2026-11-25T00:00:00Z"}]),
        ("POST", "/finance/agreements/10/additions",
         # every field whose default is undocumented is explicit (issue 12)
         {"product": {"identifier": "TM-WFBSS"}, "billCustomer": "Billable",
          "effectiveDate": "2026-11-25T00:00:00Z", "quantity": 42, "lessIncluded": 0}),
        ("PATCH", "/finance/agreements/10/additions/6",
         [{"op": "replace", "path": "billCustomer", "value": "Billable"},
          {"op": "replace", "path": "cancelledDate", "value": None}]),
        ("PATCH", "/finance/agreements/10/additions/6",
         [{"op": "replace", "path": "quantity", "value": 73}]),  # whole: an integer
    ]


def test_ticket_body_carries_routing_agreement_and_key(gateway_for):
    gateway, site = gateway_for({("POST", "/service/tickets"): {"id": 90, "externalXRef": "k"}})
    new = NewTicket("k", "Summary", "ACME", "Text", board_id=2, status_id=5, priority_id=4,
                    type_id=3, agreement_id=111)
    assert gateway.create_ticket(new).id == 90
    [(_, _, body)] = sent(site)
    assert body == {"summary": "Summary", "company": {"identifier": "ACME"},
                    "board": {"id": 2}, "status": {"id": 5}, "priority": {"id": 4},
                    "type": {"id": 3}, "initialDescription": "Text",
                    "agreement": {"id": 111}, "externalXRef": "k"}


@pytest.mark.parametrize("answer", [[{"id": 7}], None, "ok", {"id": "7"}, {"identifier": 1}],
                         ids=["a-list", "nothing", "text", "text-id", "no-id"])
def test_a_create_answered_with_nonsense_is_an_error(gateway_for, answer):
    gateway, _ = gateway_for({("POST", "/finance/agreements/10/additions"): answer,
                              ("POST", "/service/tickets"): answer})
    with pytest.raises(MalformedRecord, match="POST /finance/agreements/10/additions"):
        gateway.create_addition(10, NewAddition("TM-WFBSS", "Billable", DAY, 0))
    with pytest.raises(MalformedRecord, match="POST /service/tickets"):
        gateway.create_ticket(NewTicket("k", "s", "ACME", "d", 1, 1, 1))


def test_malformed_companies_are_owned_by_their_identifier(gateway_for):
    gateway, _ = gateway_for({("GET", "/company/companies"): [
        {"id": 1, "identifier": "ACME", "name": "Acme"},
        {"id": "abc", "identifier": "GLOBEX", "name": "Globex"},
        {"id": 3, "identifier": 5, "name": "Five"},
    ]})
    found = gateway.companies(["ACME", "GLOBEX", "5"])
    assert [c.identifier for c in found.records] == ["ACME"]
    globex, five = found.malformed
    assert globex.owner == "GLOBEX" and five.owner is None
    assert str(globex) == ("ConnectWise answered GET /company/companies with a malformed "
                           "company: id is text, expected a whole number")
    assert str(five) == ("ConnectWise answered GET /company/companies with a malformed "
                         "company 3: identifier is a number, expected text")
    assert found.problem("globex", fold=str.casefold) is globex
    assert found.problem("ACME") is five  # whose it is cannot be read: everyone's


@pytest.mark.parametrize(("field", "value", "says"), [
    ("product", {"identifier": 5}, "product.identifier is a number, expected text"),
    ("quantity", "lots", "quantity is text, expected a number"),
    ("billCustomer", ["Billable"], "billCustomer is a list, expected text"),
    ("cancelledDate", "soon", "cancelledDate is text that is not a date"),
    ("agreementId", 11, "agreementId is 11, but it was read from agreement 10"),
    ("_info", "x", "_info.lastUpdated sits in text, expected an object"),
])
def test_malformed_additions_are_owned_by_their_agreement(gateway_for, field, value, says):
    good = {"id": 1, "product": {"identifier": "TM-WFBSS"}, "quantity": 5,
            "billCustomer": "Billable", "agreementId": 10}
    gateway, _ = gateway_for({
        ("GET", "/finance/agreements/10/additions"): [good, {**good, "id": 2, field: value}],
        ("GET", "/finance/agreements/20/additions"): [{**good, "agreementId": 20}],
    })
    found = gateway.additions([10, 20])
    assert sorted((x.agreement_id, x.id) for x in found.records) == [(10, 1), (20, 1)]
    [bad] = found.malformed
    assert bad.owner == 10
    assert str(bad) == ("ConnectWise answered GET /finance/agreements/10/additions with a "
                        f"malformed addition 2: {says}")
    assert found.problem(20) is None and found.problem(10) is bad


def test_malformed_agreements_and_tickets_are_owned_by_company_and_key(gateway_for):
    gateway, _ = gateway_for({
        ("GET", "/finance/agreements"): [
            {"id": 1, "name": "A", "company": {"id": 9, "identifier": "ACME"}},
            {"id": 2, "name": 7, "company": {"id": 9, "identifier": "ACME"}},
            {"id": 3, "name": "C", "company": {"id": "x", "identifier": "GLOBEX"}},
        ],
        ("GET", "/service/tickets"): [
            {"id": 5, "externalXRef": "tmrm:hes:ACME:2026-11-24"},
            {"id": "abc", "externalXRef": "tmrm:hes:STARK:2026-11-24"},
        ],
    })
    by_id = gateway.agreements_of_companies([9, 10])
    assert [m.owner for m in by_id.malformed] == [9, None]  # GLOBEX's company id unreadable
    by_identifier = gateway.agreements_of_identifiers(["ACME", "GLOBEX"])
    assert [m.owner for m in by_identifier.malformed] == ["ACME", "GLOBEX"]
    tickets = gateway.tickets(keys=["tmrm:hes:ACME:2026-11-24", "tmrm:hes:STARK:2026-11-24"])
    assert [t.id for t in tickets.records] == [5]
    assert [m.owner for m in tickets.malformed] == ["tmrm:hes:STARK:2026-11-24"]


def test_routing_reads_serve_everyone_so_any_malformed_one_is_an_error(gateway_for):
    gateway, _ = gateway_for({("GET", "/service/boards"): [{"id": 1, "name": "A"},
                                                          {"id": 2, "name": None},
                                                          {"id": True, "name": "C"}]})
    with pytest.raises(MalformedRecord, match="malformed board: id is a boolean"):
        gateway.boards()


def test_ticket_keys_are_or_ed_into_few_requests_under_the_url_budget(gateway_for):
    gateway, site = gateway_for()
    keys = [f"tmrm:hes:C{c:04d}:2026-11-{d:02d}" for c in range(100) for d in (1, 2, 3)]
    prefixes = [f"tmrm:tmems:C{c:04d}:2026-W4" for c in range(100)]
    gateway.tickets(keys=keys, key_prefixes=prefixes)
    conditions = [r.url.params["conditions"] for r in site.requests]
    assert 1 < len(conditions) < 40
    assert sum(c.count(" like ") for c in conditions) == 100
    assert sum(c.count(" = ") for c in conditions) == 300
    assert all(len(r.url.raw_path) < 2000 for r in site.requests)
    assert conditions[0].startswith('(externalXRef like "tmrm:tmems:C0000:2026-W4%") or')


def test_batches_stay_under_the_budget():
    parts = [f'externalXRef like "tmrm:hes:C{c:04d}:2026-11-%"' for c in range(300)]
    requests = batches(parts)
    assert len(requests) < 20
    for condition in requests:
        assert len(str(httpx.QueryParams({"conditions": condition}))) <= CONDITIONS_BUDGET + 20
    assert sum(c.count(" like ") for c in requests) == 300


def test_suggestions_are_one_bounded_page_of_live_companies(gateway_for):
    gateway, site = gateway_for({("GET", "/company/companies"): [
        {"id": 1, "identifier": "ACMECO"}, {"id": 2, "identifier": "ACME-OLD"}]})
    assert gateway.company_identifiers_like("AC") == ["ACMECO", "ACME-OLD"]
    [request] = site.requests
    assert request.url.params["conditions"] == '(identifier like "AC*") and (deletedFlag = false)'
    assert (request.url.params["pageSize"], request.url.params["page"]) == ("1000", "1")


COMPANIES = [{"id": i, "identifier": f"C{i:04d}"} for i in range(1, 2346)]


def in_filter(request):
    """A minimal server for `identifier in (...)`, answering the matching records."""
    condition = request.url.params["conditions"]
    wanted = set(re.findall(r'"([^"]*)"', condition[condition.index(" in (") :]))
    return httpx.Response(200, json=[r for r in COMPANIES if r["identifier"] in wanted])


def test_bulk_reads_chunk_under_2000_characters_and_cover_every_value(make_client):
    client, site = make_client(in_filter, rate_limit_per_minute=None)
    gateway = HttpGateway(client)
    values = [r["identifier"] for r in COMPANIES] * 2  # duplicates are dropped
    found = gateway.companies(values)
    assert sorted(c.id for c in found.records) == [r["id"] for r in COMPANIES]
    assert len(site.requests) > 1
    lengths = sorted(len(str(r.url)) for r in site.requests)  # chunks run concurrently
    assert lengths[-1] < 2000
    assert lengths[1] > 1900  # chunks are filled, not tiny (but one, the remainder)
    for request in site.requests:
        assert request.url.params["conditions"].startswith("identifier in (")
        assert request.url.params["fields"] == "id,identifier,name,deletedFlag,_info/lastUpdated"


AGREEMENTS = [{"id": 100 + i, "name": f"A{i}", "type": {"name": "Managed Service"},
               "company": {"id": i, "identifier": f"C{i:04d}", "name": f"Company {i}"},
               "agreementStatus": "Active", "cancelledFlag": False} for i in range(1, 400)]


def agreements_failing_for(failing: str):
    """`company/identifier in (...)` answered, except a 503 to the chunk holding `failing`."""

    def handler(request: httpx.Request) -> httpx.Response:
        condition = request.url.params["conditions"]
        wanted = set(re.findall(r'"([^"]*)"', condition))
        if failing in wanted:
            return httpx.Response(503)
        return httpx.Response(200, json=[a for a in AGREEMENTS
                                         if a["company"]["identifier"] in wanted])

    return handler


def test_a_partial_read_reports_each_failed_chunk_with_the_values_it_asked_for(make_client):
    client, _ = make_client(agreements_failing_for("C0300"), rate_limit_per_minute=None,
                            max_retries=1)
    gateway = HttpGateway(client)
    identifiers = [a["company"]["identifier"] for a in AGREEMENTS]
    found = gateway.agreements_of_identifiers(identifiers, partial=True)

    [failed] = found.failed
    assert "C0300" in failed.values and "(503)" in str(failed.error)
    assert 1 < len(failed.values) < len(identifiers)  # one chunk of several
    read = {a.company_identifier for a in found.records}
    assert read == set(identifiers) - set(failed.values)  # every other chunk was read
    assert all(found.failure(i) is failed for i in failed.values)
    assert found.failure("c0300", fold=str.upper) is failed and found.failure("C0001") is None
    with pytest.raises(ServerError):  # without partial, the failure is raised as before
        gateway.agreements_of_identifiers(identifiers)


def test_a_partial_ticket_read_names_the_keys_and_prefixes_of_a_failed_request(gateway_for,
                                                                                  monkeypatch):
    gateway, site = gateway_for()
    monkeypatch.setattr("reconciler.connectwise.gateway.http.CONDITIONS_BUDGET", 1)
    keys, prefixes = ["tmrm:billing:ACME:2026-11"], ["tmrm:hes:ACME:2026-11-", "tmrm:hes:B:"]

    def refuse_acme_hes(request: httpx.Request) -> httpx.Response:
        if "tmrm:hes:ACME" in request.url.params["conditions"]:
            return httpx.Response(503)
        return httpx.Response(200, json=[])

    site.handler = refuse_acme_hes
    found = gateway.tickets(keys=keys, key_prefixes=prefixes, partial=True)
    [failed] = found.failed
    assert (failed.values, failed.prefixes) == ((), ("tmrm:hes:ACME:2026-11-",))
    assert found.failure("tmrm:hes:ACME:2026-11-24") is failed  # asked for by its prefix
    assert found.failure("tmrm:hes:B:2026-11-24") is None
    assert found.failure("tmrm:billing:ACME:2026-11") is None
    assert len(site.requests) == 3 + 5  # one request per clause; the refused one retried


def test_no_values_no_request(make_client):
    client, _ = make_client(in_filter)
    gateway = HttpGateway(client)
    assert gateway.companies([]).records == () and gateway.additions([]).records == ()
    assert gateway.tickets().records == () and gateway.agreements_of_companies([]).records == ()
    assert gateway.request_count == 0


def test_parallel_shares_one_client_and_counts_exactly(make_client):
    client, site = make_client(lambda r: httpx.Response(200, json={"ok": True}), concurrency=8)
    gateway = HttpGateway(client)
    results = gateway.parallel(lambda i: (i, client.get(f"/service/tickets/{i}")), range(200))
    assert [i for i, _ in results] == list(range(200))
    assert gateway.request_count == 201
    assert len(site.requests) == 200


def test_nested_parallel_never_exceeds_the_clients_concurrency(make_client):
    active, peak, lock = [0], [0], threading.Lock()

    def handler(request):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.002)
        with lock:
            active[0] -= 1
        return httpx.Response(200, json={})

    client, site = make_client(handler, concurrency=3)
    gateway = HttpGateway(client)
    client.get("/warm-up")
    gateway.parallel(
        lambda i: gateway.parallel(lambda j: client.get(f"/x/{i}/{j}"), range(4)), range(6))
    assert len(site.requests) == 1 + 24
    assert peak[0] <= 3


def test_when_a_ticket_was_entered_with_or_without_date_entered(gateway_for):
    """`_info.dateEntered` on list reads is unverified: the last update stands in."""
    gateway, _ = gateway_for({("GET", "/service/tickets"): [
        {"id": 1, "externalXRef": "a", "_info": {"dateEntered": "2026-11-25T18:07:42Z",
                                                 "lastUpdated": "2026-11-26T09:00:00Z"}},
        {"id": 2, "externalXRef": "b", "_info": {"lastUpdated": "2026-11-26T09:00:00Z"}},
        {"id": 3, "externalXRef": "c"},
        {"id": 4, "externalXRef": "d", "_info": {"dateEntered": "yesterday"}},
    ]})
    found = gateway.tickets(keys=["a", "b", "c", "d"])
    assert [t.entered_at.isoformat() if t.entered_at else None for t in found.records] == [
        "2026-11-25T18:07:42+00:00", "2026-11-26T09:00:00+00:00", None]
    [bad] = found.malformed
    assert bad.owner == "d" and "_info.dateEntered is text that is not a date and time" in str(bad)


def test_a_tickets_text_is_every_note_oldest_first(gateway_for):
    gateway, site = gateway_for({("GET", "/service/tickets/9/notes"): [
        {"id": 1, "text": "Billing for Acme"}, {"id": 2, "text": "reconciler-record: {}"}]})
    assert gateway.ticket_text(9) == "Billing for Acme\nreconciler-record: {}"
    assert site.requests[0].url.params["orderBy"] == "id asc"
    assert gateway.ticket_text(10) is None  # no notes


def ticket_json(**fields) -> dict:
    return {"id": 9, "summary": "HES summary", "externalXRef": "tmrm:hes:ACME:2026-11-24",
            "board": {"id": 2}, "status": {"name": "New"}, "closedFlag": False, **fields}


STATUSES = [{"id": 5, "name": "New"}, {"id": 6, "name": "Old", "closedStatus": True,
                                       "inactive": True},
            {"id": 7, "name": "Closed", "closedStatus": True}]


@pytest.mark.parametrize("closed_flag", [True, False])  # unverified: does the answer show it?
def test_a_duplicate_is_marked_then_moved_to_the_boards_active_closed_status(
        make_client, closed_flag):
    marked = ticket_json(summary="[duplicate of #4] HES summary")

    def handler(request):  # answers the mark, then the close, as ConnectWise would
        if request.method == "PATCH":
            if json.loads(request.content)[0]["path"] == "status":
                return httpx.Response(200, json={**marked, "status": {"name": "Closed"},
                                                 "closedFlag": closed_flag})
            return httpx.Response(200, json=marked)
        return answering({("GET", "/service/boards/2/statuses"): STATUSES})(request)

    client, site = make_client(handler, rate_limit_per_minute=None)
    settled = HttpGateway(client).settle_duplicate_ticket(parse.ticket(ticket_json()), 4)
    assert (settled.duplicate_of, settled.closed, settled.status) == (4, True, "Closed")
    assert sent(site) == [
        ("PATCH", "/service/tickets/9",
         [{"op": "replace", "path": "summary", "value": "[duplicate of #4] HES summary"}]),
        ("GET", "/service/boards/2/statuses", None),
        ("PATCH", "/service/tickets/9", [{"op": "replace", "path": "status",
                                          "value": {"id": 7}}])]


def test_a_close_the_answer_does_not_show_is_an_error_not_a_settlement(make_client):
    def handler(request):
        if request.method == "PATCH":
            return httpx.Response(200, json=ticket_json(summary="[duplicate of #4] x"))
        return answering({("GET", "/service/boards/2/statuses"): STATUSES})(request)

    client, _ = make_client(handler, rate_limit_per_minute=None)
    with pytest.raises(UnusableAnswer, match="the closed status 'Closed' was accepted but "
                                             "the ticket is still open"):
        HttpGateway(client).settle_duplicate_ticket(parse.ticket(ticket_json()), 4)


def test_a_mark_the_answer_does_not_show_is_an_error(make_client):
    client, _ = make_client(lambda r: httpx.Response(200, json=ticket_json()),
                            rate_limit_per_minute=None)
    with pytest.raises(UnusableAnswer, match="the duplicate mark was accepted but"):
        HttpGateway(client).settle_duplicate_ticket(parse.ticket(ticket_json()), 4)
