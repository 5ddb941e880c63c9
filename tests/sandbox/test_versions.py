"""API model versions: pinned release versions are served, others refused with
ConnectWise's message; every answer names the server's current version."""

from __future__ import annotations

import pytest

from reconciler.sandbox import create_app
from reconciler.sandbox.versions import requested, supported
from tests.sandbox.conftest import AUTH, NOW, make_client


def accept(version: str) -> dict:
    return {**AUTH, "Accept": f"application/vnd.connectwise.com+json; version={version}"}


@pytest.mark.parametrize("version", ["2019.1", "2023.4", "2025.1"])
def test_release_versions_up_to_the_servers_are_served(app, version):
    with make_client(app, accept(version)) as client:
        r = client.get("company/companies", params={"pageSize": 1})
    assert r.status_code == 200 and r.headers["api-current-version"] == "2025.1"


@pytest.mark.parametrize("version", ["2026.1", "2018.6", "3.0.0", "latest"])
def test_other_versions_are_refused_as_connectwise_refuses_them(app, version):
    with make_client(app, accept(version)) as client:
        r = client.get("company/companies")
    assert r.status_code == 400
    assert r.json() == {"code": "ConnectWiseApi", "message": (
        "The HTTP resource that matches the request URI 'http://sandbox.test/v4_6_release/"
        f"apis/3.0/company/companies' does not support the API version '{version}'.")}


def test_an_older_site_refuses_a_version_it_has_not_released():
    app = create_app(clock=lambda: NOW, api_version="2024.1")
    with make_client(app, accept("2025.1")) as client:
        assert client.get("company/companies").status_code == 400
    with make_client(app, accept("2024.1")) as client:
        r = client.get("company/companies")
    assert r.status_code == 200 and r.headers["api-current-version"] == "2024.1"


def test_without_a_version_the_latest_models_are_served(app):
    with make_client(app, {**AUTH, "Accept": "application/json"}) as client:
        assert client.get("company/companies").status_code == 200


@pytest.mark.parametrize(("accept_header", "version"), [
    ("application/vnd.connectwise.com+json; version=2025.1", "2025.1"),
    ('application/vnd.connectwise.com+json;version="2024.3"', "2024.3"),
    ("application/json, application/vnd.connectwise.com+json; version=2099.1", None),
    ("*/*", None),
])
def test_only_the_first_media_type_carries_the_version(accept_header, version):
    assert requested(accept_header) == version


def test_supported_compares_releases_as_numbers():
    assert supported("2025.10", "2025.16") and not supported("2025.16", "2025.2")
