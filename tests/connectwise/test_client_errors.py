"""Typed errors: ConnectWise's error body, one-sentence messages, no credentials."""

import logging

import httpx
import pytest

from reconciler.connectwise import (
    BadRequest,
    Conflict,
    ConnectWiseError,
    Forbidden,
    NotFound,
    RateLimited,
    ServerError,
    TransportFailed,
    Unauthorized,
)
from reconciler.errors import ReconcilerError
from tests.connectwise.conftest import CREDS, script

SECRETS = ("s3cr3t-PRIVATE", "PUBKEY123", CREDS.authorization().split()[1])

INVALID = {
    "code": "InvalidObject",
    "message": "addition object is invalid",
    "errors": [
        {
            "code": "NullValue",
            "message": "product is required",
            "resource": "addition",
            "field": "product",
        }
    ],
}


def test_error_body_is_parsed_into_a_typed_error(make_client):
    client, _ = make_client(lambda r: httpx.Response(400, json=INVALID))
    with pytest.raises(BadRequest) as info:
        client.post("/finance/agreements/12/additions", {"quantity": 1})
    error = info.value
    assert isinstance(error, ConnectWiseError) and isinstance(error, ReconcilerError)
    assert (error.status, error.code, error.message) == (
        400,
        "InvalidObject",
        "addition object is invalid",
    )
    assert error.errors[0].field == "product" and error.errors[0].code == "NullValue"
    assert (error.method, error.path) == ("POST", "/finance/agreements/12/additions")
    assert str(error) == (
        "ConnectWise refused POST /finance/agreements/12/additions (400 InvalidObject): "
        "addition object is invalid; product: product is required"
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (409, Conflict),
        (422, ConnectWiseError),
        (501, ServerError),
    ],
)
def test_status_maps_to_error_class(make_client, status, cls):
    client, site = make_client(lambda r: httpx.Response(status, json={"code": "X", "message": "m"}))
    with pytest.raises(cls) as info:
        client.get("/company/companies/9")
    assert type(info.value) is cls
    assert len(site.requests) == 1  # none of these is retried


@pytest.mark.parametrize("response", [
    httpx.Response(406),  # unverified: a plain Not Acceptable
    # the body quoted in covenanttechnologysolutions/connectwise-rest issue #35
    httpx.Response(400, json={"code": "ConnectWiseApi", "message": "The HTTP resource that "
                              "matches the request URI 'x' does not support the API version "
                              "'2099.1'."}),
])
def test_a_refused_api_version_says_which_setting_to_change(make_client, response):
    client, _ = make_client(script(response))
    with pytest.raises(ConnectWiseError) as info:
        client.get("/company/companies")
    assert "set connectwise.api_version in reconciler.yaml" in str(info.value)


def test_query_strings_stay_out_of_messages(make_client):
    client, _ = make_client(
        lambda r: httpx.Response(404, json={"code": "NotFound", "message": "gone"})
    )
    with pytest.raises(NotFound) as info:
        client.list("/company/companies", conditions='identifier = "ACME"')
    assert str(info.value) == "ConnectWise refused GET /company/companies (404 NotFound): gone"


def test_non_json_error_bodies_fall_back_to_the_reason_phrase(make_client):
    client, _ = make_client(
        lambda r: httpx.Response(429, text="<html>slow down</html>"), max_retries=0
    )
    with pytest.raises(RateLimited) as info:
        client.get("/system/info")
    assert str(info.value) == "ConnectWise throttled GET /system/info (429): Too Many Requests"


def test_throttle_json_body_uses_error_field_as_code(make_client):
    body = {
        "error": "ConnectWiseAPI",
        "message": "Too many requests. Please try again in 30 seconds.",
    }
    client, _ = make_client(lambda r: httpx.Response(429, json=body), max_retries=2)
    with pytest.raises(RateLimited) as info:
        client.get("/system/info")
    assert info.value.code == "ConnectWiseAPI"
    assert str(info.value).endswith("[after 3 attempts]")


def test_credentials_never_appear_in_reprs_messages_or_logs(make_client, caplog):
    token = SECRETS[2]
    echo = {"code": "Unauthorized", "message": f"bad auth Basic {token} s3cr3t-PRIVATE"}
    client, _ = make_client(
        script(
            httpx.Response(503),
            httpx.RemoteProtocolError("peer closed connection: s3cr3t-PRIVATE"),
            httpx.Response(401, json=echo),
            httpx.ConnectError("refused"),
        ),
        max_retries=2,
    )
    texts = [repr(client), str(client)]
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(Unauthorized) as unauthorized:
            client.get("/system/info")
        with pytest.raises(TransportFailed) as transport:
            client.get("/system/info")
    for error in (unauthorized.value, transport.value):
        texts += [str(error), repr(error), repr(error.args), repr(error.errors)]
    texts += [record.getMessage() for record in caplog.records]
    texts.append(caplog.text)
    assert any("retrying GET /system/info" in t for t in texts)  # logs were captured
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_invalid_json_success_body_is_an_error(make_client):
    client, _ = make_client(lambda r: httpx.Response(200, text="{oops"))
    with pytest.raises(ConnectWiseError, match="not valid JSON"):
        client.get("/system/info")


def test_traceback_locals_do_not_show_the_token(make_client):
    """Tracebacks shown with locals (pytest -l, rich) reach header objects: masked."""
    client, _ = make_client(lambda r: httpx.Response(400, json=INVALID))
    with pytest.raises(BadRequest) as info:
        client.get("/x")
    frames = []
    tb = info.value.__traceback__
    while tb is not None:
        frames.append({k: repr(v) for k, v in tb.tb_frame.f_locals.items()})
        tb = tb.tb_next
    assert any("all_headers" in f for f in frames)
    for frame in frames:
        for text in frame.values():
            for secret in SECRETS:
                assert secret not in text
