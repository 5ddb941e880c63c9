"""Exactly-once delivery: a POST whose answer is lost, a POST refused with 5xx, and a
race lost to another run each leave exactly one ticket for the key."""

import httpx
import pytest

from reconciler.connectwise import ConnectWiseClient, ServerError
from reconciler.sandbox import transport
from reconciler.sends.delivery import deliver, read_keys
from tests.sends import world

KEY = "tmrm:hes:STARK:2026-11-24"
BODY = {"summary": "HES summary", "company": {"identifier": "STARK"}}


class Interposer(httpx.BaseTransport):
    """Runs `hook(request, inner)` for ticket POSTs; everything else passes through."""

    def __init__(self, app, hook):
        self.inner, self.hook, self.posts = transport(app), hook, 0

    def handle_request(self, request):
        if request.method == "POST" and request.url.path.endswith("/service/tickets"):
            self.posts += 1
            return self.hook(request, self.inner, self.posts)
        return self.inner.handle_request(request)


def client_with(app, hook) -> tuple[ConnectWiseClient, Interposer]:
    interposer = Interposer(app, hook)
    return ConnectWiseClient("http://127.0.0.1", world.CREDS, transport=interposer,
                             sleep=lambda s: None, rate_limit_per_minute=None), interposer


def keys(app) -> list[str]:
    return [t["externalXRef"] for t in world.tickets(app) if t["externalXRef"] == KEY]


def test_post_whose_answer_is_lost_is_not_repeated(app):
    def lose_answer(request, inner, n):
        inner.handle_request(request).read()  # the server created the ticket ...
        raise httpx.RemoteProtocolError("Server disconnected", request=request)  # ... we never hear

    client, interposer = client_with(app, lose_answer)
    delivery = deliver(client, KEY, BODY)
    assert delivery.outcome == "sent" and delivery.ticket_id
    assert interposer.posts == 1 and keys(app) == [KEY]


def test_post_refused_with_5xx_is_tried_again_after_reading_the_key(app):
    def fail_first(request, inner, n):
        if n == 1:
            return httpx.Response(503, text="<html>503</html>")
        return inner.handle_request(request)

    client, interposer = client_with(app, fail_first)
    assert deliver(client, KEY, BODY).outcome == "sent"
    assert interposer.posts == 2 and keys(app) == [KEY]


def test_post_failing_every_time_raises_after_bounded_attempts(app):
    client, interposer = client_with(app, lambda r, i, n: httpx.Response(500, json={
        "code": "ConnectWiseApi", "message": "boom"}))
    with pytest.raises(ServerError):
        deliver(client, KEY, BODY)
    assert interposer.posts == 3 and keys(app) == []


def test_a_run_that_loses_the_race_deletes_its_own_ticket(app):
    other = world.client(app)

    def other_run_first(request, inner, n):
        other.post("/service/tickets", {**BODY, "externalXRef": KEY})  # lower id: the winner
        return inner.handle_request(request)

    client, _ = client_with(app, other_run_first)
    delivery = deliver(client, KEY, BODY)
    assert delivery.outcome == "already_sent" and "another run sent it first" in delivery.note
    found = read_keys(other, [KEY])[KEY]
    assert len(found) == 1 and found[0]["id"] == delivery.ticket_id


def test_existing_key_is_not_posted_again(app):
    client, interposer = client_with(app, lambda r, i, n: i.handle_request(r))
    assert deliver(client, KEY, BODY).outcome == "sent"
    assert deliver(client, KEY, BODY).outcome == "already_sent"
    assert interposer.posts == 1
