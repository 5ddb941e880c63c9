"""Paging against a sandbox whose `Link` headers name either form of the site's host, as
ConnectWise's documented example names the server: followed on the site, refused off it,
and every request (credentials included) sent to the configured host only."""

from __future__ import annotations

import random

import httpx
import pytest

from reconciler.connectwise import ConnectWiseClient, Credentials, UnusableAnswer
from reconciler.sandbox import create_app, transport

CREDS = Credentials("sandbox", "sandbox-public", "sandbox-private",
                    "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42")
SITE = "https://api-na.myconnectwise.net"


class Recording(httpx.BaseTransport):
    """The sandbox in process, remembering the host of every request."""

    def __init__(self, app) -> None:
        self.inner, self.hosts = transport(app), []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        return self.inner.handle_request(request)


def client(link_origin: str | None, site: str = SITE) -> tuple[ConnectWiseClient, Recording]:
    app = create_app(seed=None)
    app.link_origin = link_origin
    recording = Recording(app)
    return ConnectWiseClient(site, CREDS, transport=recording, page_size=3,
                             rate_limit_per_minute=None, rng=random.Random(1),
                             sleep=lambda s: None), recording


@pytest.mark.parametrize("link_origin", [
    None,  # the host the client called
    "https://na.myconnectwise.net",  # the site's other host form
    "https://NA.MyConnectWise.net",
])
def test_next_links_on_either_form_of_the_sites_host_are_followed(link_origin):
    cw, recording = client(link_origin)
    companies = cw.list("/company/companies", fields="id")
    assert len(companies) > 3 * 3  # several pages
    assert len({c["id"] for c in companies}) == len(companies)
    assert set(recording.hosts) == {"api-na.myconnectwise.net"}  # never the link's host


def test_the_web_host_configured_follows_links_naming_the_api_host():
    cw, recording = client("https://api-na.myconnectwise.net", site="https://na.myconnectwise.net")
    assert len(cw.list("/company/companies", fields="id")) > 9
    assert set(recording.hosts) == {"na.myconnectwise.net"}


@pytest.mark.parametrize("link_origin", [
    "https://eu.myconnectwise.net",  # another site
    "https://api-na.myconnectwise.net.evil.example",
    "http://api-na.myconnectwise.net",  # a downgrade to plain http
    "https://api-na.myconnectwise.net:8443",
])
def test_links_off_the_site_stop_the_read_before_anything_is_sent_there(link_origin):
    cw, recording = client(link_origin)
    with pytest.raises(UnusableAnswer, match="the next-page link points to another host"):
        cw.list("/company/companies", fields="id")
    assert set(recording.hosts) == {"api-na.myconnectwise.net"}
    assert len(recording.hosts) == 2  # codebase discovery and the first page only
