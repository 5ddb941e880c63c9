"""Next-page links on either form of the site's host are the site; nothing else is."""

from __future__ import annotations

import httpx
import pytest

from reconciler.connectwise.hosts import on_site, same_site

CLOUD = httpx.URL("https://api-na.myconnectwise.net")
PAGE = "/v4_6_release/apis/3.0/company/companies?pageSize=1000&page=2"


@pytest.mark.parametrize("link", [
    "https://api-na.myconnectwise.net" + PAGE,
    "https://na.myconnectwise.net" + PAGE,  # the developer guide's Link names the server
    "https://NA.MyConnectWise.net" + PAGE,
    "https://na.myconnectwise.net.:443" + PAGE,
])
def test_either_form_of_the_cloud_host_is_the_site(link):
    assert same_site(CLOUD, httpx.URL(link))


def test_the_web_host_configured_accepts_the_api_form_too():
    assert same_site(httpx.URL("https://na.myconnectwise.net"),
                     httpx.URL("https://api-na.myconnectwise.net" + PAGE))


@pytest.mark.parametrize("link", [
    "http://api-na.myconnectwise.net" + PAGE,  # never a downgrade to http
    "https://api-na.myconnectwise.net:8443" + PAGE,  # another port
    "https://eu.myconnectwise.net" + PAGE,  # another region is another site
    "https://api-na.myconnectwise.net.evil.com" + PAGE,
    "https://na.evil.net" + PAGE,
    "https://evil.com" + PAGE,
    "https://SERVERNAME" + PAGE,
])
def test_anything_else_is_not_the_site(link):
    assert not same_site(CLOUD, httpx.URL(link))


def test_two_label_domains_have_no_api_sibling():
    # api-example.com and example.com are different domains: never one site
    assert not same_site(httpx.URL("https://api-example.com"), httpx.URL("https://example.com/x"))
    assert not same_site(httpx.URL("https://example.com"), httpx.URL("https://api-example.com/x"))


def test_loopback_and_addresses_match_exactly():
    local = httpx.URL("http://127.0.0.1:8080")
    assert same_site(local, httpx.URL("http://127.0.0.1:8080" + PAGE))
    assert not same_site(local, httpx.URL("http://127.0.0.2:8080" + PAGE))
    assert not same_site(local, httpx.URL("http://127.0.0.1:8081" + PAGE))


def test_a_followed_link_goes_to_the_configured_origin_with_its_path_and_query():
    link = httpx.URL("https://na.myconnectwise.net" + PAGE)
    assert str(on_site(CLOUD, link)) == "https://api-na.myconnectwise.net" + PAGE
