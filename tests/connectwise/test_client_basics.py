"""Addressing, headers, discovery and the simple verbs, against a MockTransport site."""

import base64
import json
import re

import httpx
import pytest

from reconciler.connectwise import ConnectWiseClient, SiteError, replace_ops
from tests.connectwise.conftest import CREDS


def test_discovers_codebase_once_and_sends_auth_headers(make_client):
    client, site = make_client(lambda r: httpx.Response(200, json={"id": 1}))
    assert client.get("/company/companies/1") == {"id": 1}
    assert client.get("/company/companies/2") == {"id": 1}
    assert site.discoveries == 1
    request = site.requests[0]
    assert str(request.url) == "https://cw.example.com/v2025_1/apis/3.0/company/companies/1"
    token = request.headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(token).decode() == "acme+PUBKEY123:s3cr3t-PRIVATE"
    assert request.headers["clientId"] == CREDS.client_id
    assert request.headers["Accept"] == "application/vnd.connectwise.com+json; version=2025.1"
    assert client.request_count == 3  # discovery counts too


def test_discovery_is_unauthenticated_and_url_encodes_the_company(fake_time):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"Codebase": "v4_6_release/"})

    creds = type(CREDS)("my co", "p", "k", "c")
    client = ConnectWiseClient(
        "https://cw.example.com/", creds, transport=httpx.MockTransport(handler)
    )
    assert client.base_url == "https://cw.example.com/v4_6_release/apis/3.0"
    assert seen[0].url.raw_path == b"/login/companyinfo/my%20co"
    assert "Authorization" not in seen[0].headers


def test_unknown_company_is_a_clear_error():
    def handler(request):
        return httpx.Response(200, content=b"null")

    client = ConnectWiseClient(
        "https://cw.example.com", CREDS, transport=httpx.MockTransport(handler)
    )
    with pytest.raises(SiteError, match="company ID 'acme' not found on this site"):
        client.get("/system/info")


def test_non_connectwise_site_is_a_clear_error():
    client = ConnectWiseClient(
        "https://cw.example.com",
        CREDS,
        transport=httpx.MockTransport(lambda r: httpx.Response(200, text="<html>")),
    )
    with pytest.raises(SiteError, match="codebase discovery"):
        client.get("/system/info")


def test_given_codebase_skips_discovery(make_client):
    client, site = make_client(codebase="v4_6_release")
    client.get("/system/info")
    assert site.discoveries == 0
    assert site.requests[0].url.path == "/v4_6_release/apis/3.0/system/info"
    with pytest.raises(SiteError):
        ConnectWiseClient("https://x.example", CREDS, codebase="../evil")


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:9", "http://127.5.6.7",
     "http://127.0.0.2:9"],
)
def test_plain_http_allowed_to_loopback(url):
    assert ConnectWiseClient(url, CREDS).site_url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://na.myconnectwise.net", "plain http:// to 'na.myconnectwise.net'"),
        ("http://10.0.0.1", "plain http:// to '10.0.0.1'"),
        ("http://localhost.evil.example", "plain http:// to 'localhost.evil.example'"),
        ("ftp://cw.example.com", "https://<site>"),
        ("na.myconnectwise.net", "https://<site>"),
        ("https://user:pw@cw.example.com", "contains credentials"),
        ("https://cw.example.com:S3cr3t", "port that is not a number"),
    ],
)
def test_bad_site_urls_are_refused(url, message):
    with pytest.raises(SiteError, match=re.escape(message)) as refused:
        ConnectWiseClient(url, CREDS)
    assert "S3cr3t" not in str(refused.value)


def test_post_and_patch_send_json(make_client):
    def handler(request):
        body = json.loads(request.content) if request.content else None
        return httpx.Response(201 if request.method == "POST" else 200, json={"got": body})

    client, site = make_client(handler)
    assert client.post("/service/tickets", {"summary": "x"}) == {"got": {"summary": "x"}}
    assert client.patch("/service/tickets/1", replace_ops(summary="z", budgetHours=2)) == {
        "got": [
            {"op": "replace", "path": "summary", "value": "z"},
            {"op": "replace", "path": "budgetHours", "value": 2},
        ]
    }
    assert [r.method for r in site.requests] == ["POST", "PATCH"]
    assert site.requests[0].headers["Content-Type"] == "application/json"
    assert client.request_count == 3  # and codebase discovery's GET


def test_patch_ops_are_checked(make_client):
    client, site = make_client()
    with pytest.raises(ValueError, match="op must be"):
        client.patch("/x/1", [{"op": "move", "path": "a"}])
    with pytest.raises(ValueError, match="path is required"):
        client.patch("/x/1", [{"op": "replace", "value": 1}])
    assert site.requests == []
    assert replace_ops(quantity=5) == [{"op": "replace", "path": "quantity", "value": 5}]


def test_count(make_client):
    client, site = make_client(lambda r: httpx.Response(200, json={"count": 42}))
    assert client.count("/company/companies", "deletedFlag = false") == 42
    assert site.api_paths == ["/company/companies/count"]
    assert site.requests[0].url.params["conditions"] == "deletedFlag = false"


def test_redirects_are_not_followed(make_client):
    client, site = make_client(
        lambda r: httpx.Response(302, headers={"Location": "https://evil.example/steal"})
    )
    with pytest.raises(Exception, match="302"):
        client.get("/system/info")
    assert len(site.requests) == 1
