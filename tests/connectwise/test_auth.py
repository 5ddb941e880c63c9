import base64
import logging

import pytest

from reconciler.connectwise import Credentials, MissingCredentials
from reconciler.connectwise.auth import api_headers
from reconciler.errors import ReconcilerError

CREDS = Credentials("acme", "PUBKEY123", "s3cr3t-PRIVATE", "client-guid")


def test_repr_and_str_mask_the_keys():
    for text in (repr(CREDS), str(CREDS), f"{CREDS}", repr([CREDS])):
        assert "s3cr3t-PRIVATE" not in text
        assert "PUBKEY123" not in text
        assert "acme" in text


def test_basic_auth_is_company_plus_public_colon_private():
    header = api_headers(CREDS, "2025.1")
    scheme, token = header["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == "acme+PUBKEY123:s3cr3t-PRIVATE"
    assert header["clientId"] == "client-guid"
    assert header["Accept"] == "application/vnd.connectwise.com+json; version=2025.1"


def test_from_env_reads_the_four_variables():
    env = {
        "CW_COMPANY_ID": "acme",
        "CW_PUBLIC_KEY": "PUBKEY123",
        "CW_PRIVATE_KEY": "s3cr3t-PRIVATE",
        "CW_CLIENT_ID": "client-guid",
    }
    assert Credentials.from_env(env) == CREDS


def test_from_env_names_every_missing_variable_without_values():
    env = {"CW_COMPANY_ID": "acme", "CW_PUBLIC_KEY": "PUBKEY123", "CW_PRIVATE_KEY": "  "}
    with pytest.raises(MissingCredentials) as info:
        Credentials.from_env(env)
    message = str(info.value)
    assert isinstance(info.value, ReconcilerError)
    assert "CW_PRIVATE_KEY, CW_CLIENT_ID are not set" in message
    assert "PUBKEY123" not in message


def test_scrub_removes_every_secret():
    token = CREDS.authorization().split()[1]
    text = f"echo {token} and s3cr3t-PRIVATE and PUBKEY123"
    assert CREDS.scrub(text) == "echo *** and *** and ***"


def test_logging_a_credentials_object_shows_no_secret(caplog):
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("reconciler.connectwise").debug("using %s", CREDS)
    assert "s3cr3t" not in caplog.text and "PUBKEY123" not in caplog.text
