"""connect(): a real site from settings + environment (the sandbox is in test_against_sandbox)."""

from pathlib import Path

import pytest

from reconciler.config.model import ConnectWiseSettings
from reconciler.connectwise import ConnectWiseClient, MissingCredentials, SiteError, connect
from reconciler.connectwise.connect import sandbox_credentials

ENV = {
    "CW_COMPANY_ID": "acme",
    "CW_PUBLIC_KEY": "PUBKEY123",
    "CW_PRIVATE_KEY": "s3cr3t-PRIVATE",
    "CW_CLIENT_ID": "0b8f6c7e-1111-2222-3333-444455556666",
}


def test_real_site_takes_settings_and_environment(tmp_path: Path):
    settings = ConnectWiseSettings(
        url="https://na.myconnectwise.net", rate_limit_per_minute=300, concurrency=3, page_size=250
    )
    with connect(settings, tmp_path, env=ENV) as client:
        assert isinstance(client, ConnectWiseClient)
        assert client.site_url == "https://na.myconnectwise.net"
        assert client.limiter.per_minute == 300
        assert client.concurrency == 3 and client.page_size == 250
        assert "s3cr3t" not in repr(client)
    assert not (tmp_path / ".reconciler").exists()


def test_real_site_needs_every_credential(tmp_path: Path):
    env = dict(ENV, CW_CLIENT_ID="")
    with pytest.raises(MissingCredentials, match="CW_CLIENT_ID is not set"):
        connect(ConnectWiseSettings(url="https://na.myconnectwise.net"), tmp_path, env=env)


def test_plain_http_to_a_remote_site_is_refused(tmp_path: Path):
    with pytest.raises(SiteError, match="refusing plain http"):
        connect(ConnectWiseSettings(url="http://cw.example.com"), tmp_path, env=ENV)


def test_sandbox_credentials_default_and_are_overridden_per_variable():
    default = sandbox_credentials({})
    assert (default.company_id, default.public_key, default.private_key) == (
        "sandbox",
        "sandbox-public",
        "sandbox-private",
    )
    mixed = sandbox_credentials({"CW_PRIVATE_KEY": "other", "CW_COMPANY_ID": " "})
    assert (mixed.company_id, mixed.private_key) == ("sandbox", "other")


def test_sandbox_runs_in_process_with_state_under_the_root(tmp_path: Path):
    settings = ConnectWiseSettings(url="sandbox", rate_limit_per_minute=600, concurrency=2)
    with connect(settings, tmp_path, env={}) as client:
        assert client.limiter.per_minute == 600 and client.concurrency == 2
        companies = client.list("/company/companies", fields="id,identifier")
        assert companies
        board = client.list("/service/boards", fields="id,name")[0]
        client.post(
            "/service/tickets",
            {
                "summary": "persisted",
                "company": {"id": companies[0]["id"]},
                "board": {"id": board["id"]},
            },
        )
    assert (tmp_path / ".reconciler" / "sandbox-state.json").is_file()
    with connect(settings, tmp_path, env={}) as again:  # a later run sees the same state
        assert again.count("/service/tickets", 'summary = "persisted"') == 1


def test_sandbox_refuses_overridden_credentials_it_does_not_know(tmp_path: Path):
    from reconciler.connectwise import Unauthorized

    with (
        connect(
            ConnectWiseSettings(url="sandbox"), tmp_path, env={"CW_PRIVATE_KEY": "wrong"}
        ) as client,
        pytest.raises(Unauthorized),
    ):
        client.list("/company/companies")
