"""Nothing echoed that could be a secret: the one redaction step (`reconciler.redact`) and
the two echoes the review found (issue 11): Trend Micro's error body quoting the LMPI
token (run-due text and JSON, hence the CI job summary), and a secret written into the
port position of `connectwise.url`."""

from __future__ import annotations

import io
import json
import logging
import secrets

import pytest

from reconciler import redact
from reconciler.sandbox import create_app, serve
from tests.served_fleet import cw_env, make_fleet, run_inprocess, run_process

AT = "2026-12-01T12:00"


def test_registered_and_environment_secrets_are_masked_in_every_form(monkeypatch):
    token = f"tok+{secrets.token_hex(6)}/="
    monkeypatch.setenv("LMPI_ACCESS_TOKEN", token)
    monkeypatch.setenv("CW_PRIVATE_KEY", "abc")  # too short to be a credential: kept
    with redact.installed():
        redact.register("kept-" + token)
        quoted = token.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
        text = redact.text(f'a {token} b {quoted} c {json.dumps("x" + token)} d kept-{token}'
                           " abc")
        assert token not in text and quoted not in text
        assert text == 'a *** b *** c "x***" d *** abc'
    assert "kept-" + token not in redact.secrets()  # forgotten with the command


def test_urls_lose_user_information_and_a_port_that_is_not_a_number():
    assert redact.text("GET https://bob:pa55@cw.example.com/v4 failed") == (
        "GET https://***@cw.example.com/v4 failed")
    assert redact.text("cannot reach https://cw.example.com:hunter2/x, or "
                       "https://cw.example.com:hunter2") == (
        "cannot reach https://cw.example.com:***/x, or https://cw.example.com:***")
    kept = "http://127.0.0.1:8080/v4_6_release/apis/3.0/ (https://h:443), tmrm:hes:A:2026-11"
    assert redact.text(kept) == kept


def test_the_stream_masks_a_secret_written_in_pieces_and_log_records(monkeypatch, caplog):
    monkeypatch.setenv("CW_PRIVATE_KEY", "sUpErSeCrEt")
    out = io.StringIO()
    stream = redact.RedactingStream(out)
    stream.write("key sUpEr")
    stream.write("SeCrEt and more\nlast sUpErSeCrEt")
    stream.flush()
    assert out.getvalue() == "key *** and more\nlast ***"
    with redact.installed(), caplog.at_level(logging.DEBUG):
        logging.getLogger("reconciler.test").warning("sent %s to %s", "sUpErSeCrEt", "x")
    assert "sUpErSeCrEt" not in caplog.text and "sent *** to x" in caplog.text


class EchoingLmpi:
    """LMPI answering 400 with an error body that quotes the access token it was sent
    (what the review saw from Trend Micro); ConnectWise as the sandbox answers."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/LMPI/"):
            token = environ.get("HTTP_X_ACCESS_TOKEN", "")
            body = json.dumps({"error_code": 400, "message":
                               f"signature mismatch for access token {token}"}).encode()
            start_response("400 Bad Request", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


@pytest.mark.parametrize("runner", [run_process, run_inprocess], ids=["process", "in-process"])
def test_a_vendor_error_body_quoting_the_lmpi_token_never_reaches_output(tmp_path, runner):
    token, secret = f"lmtok-{secrets.token_hex(10)}", f"lmsec-{secrets.token_hex(10)}"
    env = cw_env("sandbox-private", lmpi_token=token, lmpi_secret=secret)
    with serve(EchoingLmpi(create_app(seed=None))) as url:
        root = make_fleet(tmp_path / "fleet", url, lmpi_url=url)
        assert runner(root, ["apply", "--yes"], env).exit_code == 0
        for fmt in ("text", "json"):
            run = runner(root, ["run-due", "--at", AT, "--customer", "stark", "--format", fmt],
                         env)
            assert run.exit_code == 1, run.text()
            assert token not in run.text() and secret not in run.text()
            assert "signature mismatch for access token ***" in run.text()  # said, masked


def test_a_secret_in_the_port_of_the_site_url_is_never_printed(tmp_path):
    root = make_fleet(tmp_path / "fleet", "https://cw.example.com:hunter2-secret")
    for args in (["plan"], ["verify"], ["run-due", "--at", AT]):
        run = run_inprocess(root, args, cw_env("k"))
        assert run.exit_code == 1 and "hunter2" not in run.text(), run.text()
