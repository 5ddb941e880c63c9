"""The Email Security client: the documented request, every plausible shape of an answer,
clear errors for refusals, retries, and credentials never shown."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from reconciler.sources.model import SourceError
from reconciler.sources.tmems import TmemsClient

HOUR = datetime(2026, 11, 24, 9, tzinfo=UTC)
ACCOUNT, KEY = "msp-admin", "k3y-S3cret-0001"


def client(handler, **kwargs) -> tuple[TmemsClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)
    return TmemsClient("https://api.tmes.trendmicro.com/", account=ACCOUNT, api_key=KEY,
                       transport=httpx.MockTransport(record), sleep=lambda s: None,
                       **kwargs), seen


def log(n: int) -> dict:
    return {"genTime": f"2026-11-24T09:{n:02d}:00Z", "mailID": f"m{n}", "eventType": "Spam"}


def test_the_documented_request():
    api, seen = client(lambda r: httpx.Response(200, json={"logs": [log(1)]}))
    assert api.policy_events("spam", HOUR, HOUR + timedelta(hours=1)) == [log(1)]
    [request] = seen
    assert (request.method, request.url.host, request.url.path) == (
        "GET", "api.tmes.trendmicro.com", "/api/v1/log/policyeventlog")
    assert dict(request.url.params) == {
        "event": "spam", "start": "2026-11-24T09:00:00.000Z",
        "end": "2026-11-24T09:59:59.999Z",  # 1 ms short: the next window starts at 10:00
        "limit": "500"}
    scheme, token = request.headers["authorization"].split(" ")
    assert scheme == "Basic" and base64.b64decode(token).decode() == f"{ACCOUNT}:{KEY}"


def paged(pages: list[dict]):
    def handler(request: httpx.Request) -> httpx.Response:
        index = 0 if "token" not in request.url.params else int(request.url.params["token"][1:])
        return httpx.Response(200, json=pages[index])
    return handler


def test_pages_are_followed_and_a_log_repeated_across_an_edge_counts_once():
    pages = [{"logs": [log(1), log(2)], "nextToken": "t1"},
             {"logs": [log(2), log(3)], "nextToken": "t2"},
             {"logs": [log(4)]}]
    api, seen = client(paged(pages))
    assert api.policy_events("spam", HOUR, HOUR + timedelta(hours=1)) == [
        log(1), log(2), log(3), log(4)]
    assert [r.url.params.get("token") for r in seen] == [None, "t1", "t2"]
    assert all(r.url.params["start"] == "2026-11-24T09:00:00.000Z" for r in seen)


def test_a_percent_encoded_token_is_sent_as_the_token_itself():
    tokens = []

    def handler(request):
        tokens.append(request.url.params.get("token"))
        if "token" in request.url.params:
            return httpx.Response(200, json={"logs": [log(2)]})
        # the documented example's token, percent-encoded
        return httpx.Response(200, json={"logs": [log(1)],
                                         "nextToken": "DKxIuQeL7Nq3aNgQtaaH2w%3D%3D"})
    api, _ = client(handler)
    assert len(api.policy_events("spam", HOUR, HOUR + timedelta(hours=1))) == 2
    assert tokens == [None, "DKxIuQeL7Nq3aNgQtaaH2w=="]


@pytest.mark.parametrize("answer", [
    httpx.Response(204), httpx.Response(200, json={"logs": []}), httpx.Response(200, json={}),
    httpx.Response(200, json={"logs": None, "nextToken": ""}),
])
def test_no_logs_in_every_plausible_form(answer):
    api, _ = client(lambda r: answer)
    assert api.policy_events("threat", HOUR, HOUR + timedelta(hours=1)) == []


def test_a_token_that_comes_back_is_an_error_not_a_loop():
    api, _ = client(lambda r: httpx.Response(200, json={"logs": [log(1)], "nextToken": "same"}))
    with pytest.raises(SourceError, match="repeated a page token"):
        api.policy_events("spam", HOUR, HOUR + timedelta(hours=1))


@pytest.mark.parametrize("answer, message", [
    (httpx.Response(401, json={"code": "AuthenticationMissingOrInvalid",
                               "message": "The credential is missing or invalid."}),
     r"refused the credentials \(401 AuthenticationMissingOrInvalid\); check TMEMS_ACCOUNT"),
    (httpx.Response(403, json={"code": "AuthorizationRequestDenied", "message": "no"}),
     r"refused the account \(403"),
    (httpx.Response(404, json={"code": "ResourceNotAvailable", "message": "x"}),
     r"turn on log retrieval"),
    (httpx.Response(400, json={"code": "InvalidFormat", "message": "Invalid request format."}),
     r"answered 400 for spam logs .*: InvalidFormat: Invalid request format\."),
    (httpx.Response(200, text="<html>"), "answered non-JSON"),
    (httpx.Response(200, json=[1]), "answered a list"),
    (httpx.Response(200, json={"logs": "many"}), "'logs' .* is not a list of records"),
    (httpx.Response(200, json={"logs": [], "nextToken": 5}), "nextToken .* is not text"),
])
def test_refusals_and_nonsense_are_clear_errors_without_credentials(answer, message):
    api, _ = client(lambda r: answer)
    with pytest.raises(SourceError, match=message) as info:
        api.policy_events("spam", HOUR, HOUR + timedelta(hours=1))
    encoded = base64.b64encode(f"{ACCOUNT}:{KEY}".encode()).decode()
    for secret in (KEY, encoded):
        assert secret not in str(info.value) and secret not in repr(api)


def test_429_5xx_and_drops_are_retried_then_given_up():
    script = [429, 502, "drop"]
    sleeps = []

    def handler(request):
        if script:
            step = script.pop(0)
            if step == "drop":
                raise httpx.RemoteProtocolError("gone", request=request)
            return httpx.Response(step, headers={"Retry-After": "3"} if step == 429 else {})
        return httpx.Response(200, json={"logs": [log(5)]})
    api = TmemsClient("https://api.tmes.trendmicro.eu", account=ACCOUNT, api_key=KEY,
                      transport=httpx.MockTransport(handler), sleep=sleeps.append)
    assert api.policy_events("spam", HOUR, HOUR + timedelta(hours=1)) == [log(5)]
    assert api.request_count == 4 and sleeps[0] == 3.0
    api, _ = client(lambda r: httpx.Response(503), attempts=2)
    with pytest.raises(SourceError, match="unavailable after 2 attempts: 503"):
        api.policy_events("spam", HOUR, HOUR + timedelta(hours=1))
