"""Exactly-once delivery: a POST whose answer is lost, a POST refused with 5xx, a POST
answered with nonsense, and a race lost to another run each leave exactly one ticket for
the key."""

import httpx
import pytest

from reconciler.connectwise import ServerError
from reconciler.connectwise.records import MalformedRecord, NewTicket
from reconciler.sandbox import transport
from reconciler.sends.delivery import deliver
from tests.sends import world

KEY = "tmrm:hes:STARK:2026-11-24"
TICKET = NewTicket(KEY, "HES summary", "STARK", "counts", board_id=2, status_id=5,
                   priority_id=4)


class Interposer(httpx.BaseTransport):
    """Runs `hook(request, inner)` for ticket POSTs; everything else passes through."""

    def __init__(self, app, hook):
        self.inner, self.hook, self.posts = transport(app), hook, 0

    def handle_request(self, request):
        if request.method == "POST" and request.url.path.endswith("/service/tickets"):
            self.posts += 1
            return self.hook(request, self.inner, self.posts)
        return self.inner.handle_request(request)


def gateway_with(app, hook):
    interposer = Interposer(app, hook)
    return world.gateway(app, transport=interposer), interposer


def keys(app) -> list[str]:
    return [t["externalXRef"] for t in world.tickets(app) if t["externalXRef"] == KEY]


def test_post_whose_answer_is_lost_is_not_repeated(app):
    def lose_answer(request, inner, n):
        inner.handle_request(request).read()  # the server created the ticket ...
        raise httpx.RemoteProtocolError("Server disconnected", request=request)  # ... we never hear

    gateway, interposer = gateway_with(app, lose_answer)
    delivery = deliver(gateway, TICKET)
    assert delivery.outcome == "sent" and delivery.ticket_id
    assert interposer.posts == 1 and keys(app) == [KEY]


def test_post_answered_with_nonsense_is_judged_by_the_key(app):
    def list_answer(request, inner, n):
        inner.handle_request(request).read()  # created, but the answer is not the ticket
        return httpx.Response(201, json=[{"id": 1}])

    gateway, interposer = gateway_with(app, list_answer)
    assert deliver(gateway, TICKET).outcome == "sent"
    assert interposer.posts == 1 and keys(app) == [KEY]


def test_nonsense_answers_that_created_nothing_fail_after_bounded_attempts(app):
    gateway, interposer = gateway_with(app, lambda r, i, n: httpx.Response(201, json=[]))
    with pytest.raises(MalformedRecord, match="answered POST /service/tickets with a "
                                              "malformed created ticket: the answer is a list"):
        deliver(gateway, TICKET)
    assert interposer.posts == 3 and keys(app) == []


def test_post_refused_with_5xx_is_tried_again_after_reading_the_key(app):
    def fail_first(request, inner, n):
        if n == 1:
            return httpx.Response(503, text="<html>503</html>")
        return inner.handle_request(request)

    gateway, interposer = gateway_with(app, fail_first)
    assert deliver(gateway, TICKET).outcome == "sent"
    assert interposer.posts == 2 and keys(app) == [KEY]


def test_post_failing_every_time_raises_after_bounded_attempts(app):
    gateway, interposer = gateway_with(app, lambda r, i, n: httpx.Response(500, json={
        "code": "ConnectWiseApi", "message": "boom"}))
    with pytest.raises(ServerError):
        deliver(gateway, TICKET)
    assert interposer.posts == 3 and keys(app) == []


def test_a_run_that_loses_the_race_settles_its_own_ticket(app):
    other = world.client(app)

    def other_run_first(request, inner, n):
        other.post("/service/tickets", {"summary": "HES summary",
                                        "company": {"identifier": "STARK"},
                                        "externalXRef": KEY})  # lower id: the winner
        return inner.handle_request(request)

    gateway, _ = gateway_with(app, other_run_first)
    delivery = deliver(gateway, TICKET)
    assert delivery.outcome == "already_sent" and "another run sent it first" in delivery.note
    assert delivery.warnings == ()
    winner, mine = world.gateway(app).tickets(keys=[KEY]).records
    assert winner.id == delivery.ticket_id and winner.duplicate_of is None
    assert (mine.duplicate_of, mine.closed) == (winner.id, True)  # settled by PATCH
    assert mine.summary == f"[duplicate of #{winner.id}] HES summary"
    assert not any(method == "DELETE" for method, _ in app.request_log)


def test_a_lost_race_whose_settling_is_refused_is_still_already_sent_with_a_warning(app):
    app.faults.forbid("PATCH", r"^service/tickets/\d+$")  # a role without ticket edit
    other = world.client(app)

    def other_run_first(request, inner, n):
        other.post("/service/tickets", {"summary": "HES summary",
                                        "company": {"identifier": "STARK"},
                                        "externalXRef": KEY})
        return inner.handle_request(request)

    gateway, _ = gateway_with(app, other_run_first)
    delivery = deliver(gateway, TICKET)
    assert delivery.outcome == "already_sent"
    [warning] = delivery.warnings
    assert "is not settled" in warning and "403" in warning
    assert "Close Service Tickets" in warning  # says what to change
    winner, mine = world.gateway(app).tickets(keys=[KEY]).records
    assert winner.id == delivery.ticket_id and mine.duplicate_of is None


def test_existing_key_is_not_posted_again(app):
    gateway, interposer = gateway_with(app, lambda r, i, n: i.handle_request(r))
    assert deliver(gateway, TICKET).outcome == "sent"
    assert deliver(gateway, TICKET).outcome == "already_sent"
    assert interposer.posts == 1
