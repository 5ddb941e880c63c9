"""Auth, codebase and discovery answers, and response headers."""

from __future__ import annotations

import httpx

from reconciler.sandbox import SandboxCredentials, create_app, transport
from tests.sandbox.conftest import API, AUTH, CLIENT_ID, NOW, READONLY, basic, make_client


def raw(app) -> httpx.Client:
    return httpx.Client(transport=transport(app), base_url="http://sandbox.test")


def test_no_authorization_is_401(app):
    r = raw(app).get(API + "company/companies", headers={"clientId": CLIENT_ID})
    assert r.status_code == 401 and r.json()["code"] == "Unauthorized"


def test_wrong_private_key_is_401_and_not_echoed(app):
    headers = {"Authorization": basic("sandbox+sandbox-public", "guess-me"),
               "clientId": CLIENT_ID}
    r = raw(app).get(API + "company/companies", headers=headers)
    assert r.status_code == 401 and "guess-me" not in r.text


def test_wrong_company_is_401(app):
    headers = {"Authorization": basic("other+sandbox-public", "sandbox-private"),
               "clientId": CLIENT_ID}
    assert raw(app).get(API + "system/info", headers=headers).status_code == 401


def test_garbage_basic_token_is_401(app):
    headers = {"Authorization": "Basic %%%", "clientId": CLIENT_ID}
    assert raw(app).get(API + "system/info", headers=headers).status_code == 401


def test_client_id_is_required_and_must_be_a_guid(app):
    headers = {"Authorization": AUTH["Authorization"]}
    assert raw(app).get(API + "system/info", headers=headers).status_code == 401
    headers["clientId"] = "not-a-guid"
    assert raw(app).get(API + "system/info", headers=headers).status_code == 401
    headers["clientId"] = CLIENT_ID.upper()
    assert raw(app).get(API + "system/info", headers=headers).status_code == 200


def test_custom_credentials():
    creds = SandboxCredentials(company="msp", public_key="pub", private_key="priv")
    app = create_app(credentials=creds, clock=lambda: NOW)
    ok = {"Authorization": basic("msp+pub", "priv"), "clientId": CLIENT_ID}
    assert make_client(app, ok).get("system/info").status_code == 200
    assert make_client(app).get("system/info").status_code == 401
    assert "priv" not in repr(creds)


def test_read_only_role_reads_but_writes_are_403(app):
    c = make_client(app, READONLY)
    assert c.get("company/companies/19").status_code == 200
    assert c.post("service/tickets/search", json={}).status_code == 200  # a read
    r = c.patch("company/companies/19", json=[{"op": "replace", "path": "name", "value": "X"}])
    assert r.status_code == 403 and r.json()["code"] == "Unauthorized"
    assert make_client(app).get("company/companies/19").json()["name"] == "Acme Corporation"


def test_unknown_codebase_is_404(app):
    r = raw(app).get("/v2025_1/apis/3.0/system/info", headers=AUTH)
    assert r.status_code == 404 and r.json()["code"] == "NotFound"


def test_unknown_path_and_record_are_404(client):
    assert client.get("company/widgets").status_code == 404
    r = client.get("company/companies/999999")
    assert r.status_code == 404
    assert r.json() == {"code": "NotFound", "message": "Company with id 999999 was not found."}


def test_company_info_needs_no_auth(app):
    r = raw(app).get("/login/companyinfo/sandbox")
    body = r.json()
    assert r.status_code == 200 and body["Codebase"] == "v4_6_release/"
    assert body["IsCloud"] is False and body["CompanyID"] == "sandbox"
    assert raw(app).get("/login/companyinfo/SANDBOX").json()["Codebase"] == "v4_6_release/"


def test_company_info_for_an_unknown_company_is_json_null(app):
    r = raw(app).get("/login/companyinfo/nobody")
    assert r.status_code == 200 and r.text == "null"


def test_system_info(client):
    body = client.get("system/info").json()
    assert body["isCloud"] is False and body["version"] and body["serverTimeZone"]


def test_response_headers(client):
    r = client.get("company/companies", headers={"Accept": "*/*"})
    assert r.headers["api-current-version"]
    assert r.headers["x-server-name"]
    assert len(r.headers["x-cw-request-id"]) == 36
    assert r.headers["content-type"].startswith("application/json")


def test_versioned_accept_header_is_fine(client):
    r = client.get("system/info",
                   headers={"Accept": "application/vnd.connectwise.com+json; version=2025.1"})
    assert r.status_code == 200


def test_request_log_counts_requests(app, client):
    client.get("company/companies", params={"pageSize": 3})
    client.get("system/info")
    assert app.request_log[-2:] == [("GET", API + "company/companies?pageSize=3"),
                                    ("GET", API + "system/info")]


def test_paths_ignore_case_like_connectwise(client):
    assert client.get("Company/Companies/Count").json()["count"] == 15
    assert client.get("SYSTEM/info").status_code == 200
    assert client.post("Service/Tickets/Search", json={}).status_code == 200
