"""Over real HTTP on 127.0.0.1, including a client written like third-party ones: it pages
with only the Link header (regex on `page=(\\d+)$`), sends form-encoded conditions and
`Accept: */*`, and uses no httpx conveniences."""

from __future__ import annotations

import base64
import http.client
import json
import re
import urllib.parse
import urllib.request

import httpx
import pytest

from reconciler.sandbox import create_app, serve
from tests.sandbox.conftest import AUTH, CLIENT_ID, NOW, tiny_seed


@pytest.fixture
def served():
    app = create_app(seed=tiny_seed(companies=130), clock=lambda: NOW)
    with serve(app) as url:
        yield app, url


def third_party_get(url: str) -> tuple[list, str | None]:
    token = base64.b64encode(b"sandbox+sandbox-public:sandbox-private").decode()
    request = urllib.request.Request(url, headers={
        "Authorization": f"Basic {token}", "clientId": CLIENT_ID, "Accept": "*/*",
        "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read()), response.headers.get("Link")


def test_third_party_style_paging_over_http(served):
    _, base = served
    conditions = urllib.parse.urlencode({"conditions": 'identifier like "C1*"'})
    url = f"{base}/v4_6_release/apis/3.0/company/companies?{conditions}&pageSize=10&page=1"
    seen = []
    while url:
        page, link = third_party_get(url)
        seen += [c["identifier"] for c in page]
        nxt = re.search(r'<([^>]+)>;\s*rel="next"', link or "")
        url = nxt.group(1) if nxt else None
        if url:
            assert re.search(r"page=(\d+)$", url)
    expected = sorted(f"C{i:03d}" for i in range(1, 131) if f"C{i:03d}".startswith("C1"))
    assert seen == expected and len(seen) == 31


def test_httpx_over_http_with_last_rel(served):
    _, base = served
    with httpx.Client(base_url=base + "/v4_6_release/apis/3.0/", headers=AUTH) as c:
        r = c.get("company/companies", params={"pageSize": 50})
        last = re.search(r'page=(\d+)>; rel="last"', r.headers["Link"]).group(1)
        assert last == "3"
        assert c.get("company/companies/count").json() == {"count": 130}


def test_drop_over_http_closes_without_an_answer(served):
    app, base = served
    app.faults.fail_next("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(base + "/v4_6_release/apis/3.0/system/info", headers=AUTH)
    assert httpx.get(base + "/v4_6_release/apis/3.0/system/info", headers=AUTH).status_code == 200


def test_429_over_http(served):
    app, base = served
    app.faults.fail_next("429")
    r = httpx.get(base + "/v4_6_release/apis/3.0/system/info", headers=AUTH)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"


def test_post_and_delete_over_http(served):
    _, base = served
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    body = json.dumps({"identifier": "NEW1", "name": "New One"})
    conn.request("POST", "/v4_6_release/apis/3.0/company/companies", body=body,
                 headers={**AUTH, "Content-Type": "application/json"})
    response = conn.getresponse()
    created = json.loads(response.read())
    assert response.status == 201
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("DELETE", f"/v4_6_release/apis/3.0/company/companies/{created['id']}",
                 headers=AUTH)
    response = conn.getresponse()
    assert response.status == 204 and response.read() == b""


@pytest.mark.parametrize("host", ["0.0.0.0", "localhost.evil.example", "127.1", "::"])
def test_serve_refuses_non_loopback(host):
    with pytest.raises(ValueError, match="loopback"), serve(create_app(), host=host):
        pass


@pytest.mark.parametrize("host", ["127.0.0.2", "::1"])
def test_serve_listens_on_any_loopback_address(host):
    """The listening check is the outbound-URL policy's loopback (127.0.0.0/8, ::1)."""
    with serve(create_app(seed=tiny_seed()), host=host) as url:
        response = httpx.get(url + "/login/companyinfo/sandbox", timeout=10)
        assert response.status_code == 200 and "Codebase" in response.json()


def test_forward_only_over_http(served):
    _, base = served
    with httpx.Client(headers={**AUTH, "pagination-type": "forward-only"}) as c:
        url, seen = base + "/v4_6_release/apis/3.0/company/companies?pageSize=50", []
        while url:
            r = c.get(url)
            seen += [x["id"] for x in r.json()]
            nxt = re.search(r'<([^>]+)>; rel="next"', r.headers.get("Link", ""))
            url = nxt.group(1) if nxt else None
        assert seen == list(range(1, 131))


def test_parallel_writes_over_http_with_a_state_file(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    app = create_app(state_path=tmp_path / "state.json", clock=lambda: NOW)
    with serve(app) as base, httpx.Client(base_url=base + "/v4_6_release/apis/3.0/",
                                          headers=AUTH) as c:
        def add(i):
            return c.post("finance/agreements/120/additions", json={
                "product": {"id": 6}, "billCustomer": "Billable", "quantity": i}).json()["id"]
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(add, range(40)))
        assert len(set(ids)) == 40
        assert c.get("finance/agreements/120/additions/count").json() == {"count": 41}
