"""connect(): a client for a site URL, credentials from the environment (the sandbox's
branch is the runtime's: tests/test_runtime.py)."""

import pytest

from reconciler.connectwise import ConnectWiseClient, MissingCredentials, SiteError, connect
from reconciler.connectwise.connect import credentials_from

ENV = {
    "CW_COMPANY_ID": "acme",
    "CW_PUBLIC_KEY": "PUBKEY123",
    "CW_PRIVATE_KEY": "s3cr3t-PRIVATE",
    "CW_CLIENT_ID": "0b8f6c7e-1111-2222-3333-444455556666",
}
DEFAULTS = {"CW_COMPANY_ID": "sandbox", "CW_PUBLIC_KEY": "sandbox-public",
            "CW_PRIVATE_KEY": "sandbox-private", "CW_CLIENT_ID": ENV["CW_CLIENT_ID"]}


def test_real_site_takes_options_and_environment():
    with connect("https://na.myconnectwise.net", ENV, rate_limit_per_minute=300,
                 concurrency=3, page_size=250) as client:
        assert isinstance(client, ConnectWiseClient)
        assert client.site_url == "https://na.myconnectwise.net"
        assert client.limiter.per_minute == 300
        assert client.concurrency == 3 and client.page_size == 250
        assert "s3cr3t" not in repr(client)


def test_real_site_needs_every_credential():
    env = dict(ENV, CW_CLIENT_ID="")
    with pytest.raises(MissingCredentials, match="CW_CLIENT_ID is not set"):
        connect("https://na.myconnectwise.net", env)


def test_plain_http_to_a_remote_site_is_refused():
    with pytest.raises(SiteError, match=r"uses plain http:// to 'cw\.example\.com'"):
        connect("http://cw.example.com", ENV)


def test_defaults_fill_each_unset_variable_and_are_overridden_per_variable():
    default = credentials_from({}, DEFAULTS)
    assert (default.company_id, default.public_key, default.private_key) == (
        "sandbox", "sandbox-public", "sandbox-private")
    mixed = credentials_from({"CW_PRIVATE_KEY": "other", "CW_COMPANY_ID": " "}, DEFAULTS)
    assert (mixed.company_id, mixed.private_key) == ("sandbox", "other")
    with pytest.raises(MissingCredentials):
        credentials_from({})  # no defaults: every variable is needed
