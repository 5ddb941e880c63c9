"""`reconciler sandbox serve`: prints where it listens, serves, honours the knobs."""

from __future__ import annotations

import signal
import sys

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox import create_app
from tests.processes import Process, group_gone
from tests.sandbox.conftest import API, AUTH, CLIENT_ID, basic, make_client

BANNER_END = rb"Press Ctrl-C to stop\."


def start(*args: str, sigint_ignored: bool = False) -> tuple[Process, str]:
    """`sandbox serve --port 0 ARGS` as a real process, once its banner is out."""
    server = Process([sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", "0",
                      *args], sigint_ignored=sigint_ignored)
    try:
        url = server.wait_for(rb"listening on (http://127\.0\.0\.1:\d+)").group(1).decode()
        server.wait_for(BANNER_END)
    except BaseException:
        server.kill()
        raise
    return server, url


def test_serve_with_state_and_custom_private_key(tmp_path):
    state = tmp_path / "state.json"
    server, url = start("--state", str(state), "--private-key", "s3cret-key", "--rate-429", "0")
    with server:
        headers = {"Authorization": basic("sandbox+sandbox-public", "s3cret-key"),
                   "clientId": CLIENT_ID}
        r = httpx.get(url + API + "company/companies/count", headers=headers, timeout=30)
        assert r.json()["count"] == 15
        assert "s3cret-key" not in server.output() and "not shown" in server.output()
        readonly = {"Authorization": basic("sandbox+sandbox-readonly",
                                           "sandbox-readonly-private"), "clientId": CLIENT_ID}
        r = httpx.get(url + API + "system/info", headers=readonly, timeout=30)
        assert r.status_code == 401  # the public demo pair is off with a key of your own
        assert state.exists()


def test_serve_fault_knobs():
    server, url = start("--rate-429", "1", "--retry-after", "9")
    with server:
        r = httpx.get(url + API + "system/info", timeout=30)
        assert r.status_code == 429 and r.headers["Retry-After"] == "9"


def _write_a_ticket(url: str) -> None:
    r = httpx.post(url + API + "service/tickets", headers=AUTH, timeout=30,
                   json={"summary": "written before the stop", "company": {"id": 19},
                         "board": {"id": 1}})
    assert r.status_code == 201, r.text


def _saved_tickets(state) -> list[str]:
    with make_client(create_app(state_path=state)) as client:
        return [t["summary"] for t in client.get("service/tickets",
                                                 params={"pageSize": 1000}).json()]


@pytest.mark.parametrize(("sig", "sigint_ignored"), [
    (signal.SIGINT, True),  # as under `reconciler sandbox serve &` in a CI step or nohup
    (signal.SIGTERM, False),
], ids=["SIGINT-inherited-ignored", "SIGTERM"])
def test_a_stop_signal_stops_it_promptly_with_its_state_saved(tmp_path, sig, sigint_ignored):
    state = tmp_path / "state.json"
    server, url = start("--state", str(state), sigint_ignored=sigint_ignored)
    with server:
        _write_a_ticket(url)
        journal = state.with_name(state.name + ".journal")
        assert journal.exists()  # the write is journaled; a clean stop folds it in
        assert server.stop(sig) == 0, server.output()
        assert server.stdout.decode().splitlines()[-1] == "stopped"
        assert group_gone(server.proc.pid)
        assert not server.stderr, server.output()
    assert not journal.exists()
    assert "written before the stop" in _saved_tickets(state)
    with pytest.raises(httpx.TransportError):  # nothing listens any more
        httpx.get(url + API + "system/info", timeout=5)


def test_bad_options_are_usage_errors():
    runner = CliRunner()
    for host in ("0.0.0.0", "localhost.evil.example", "127.1"):
        result = runner.invoke(cli, ["sandbox", "serve", "--host", host])
        assert result.exit_code == 2 and "loopback" in result.output
    result = runner.invoke(cli, ["sandbox", "serve", "--rate-429", "0.6", "--rate-5xx", "0.6"])
    assert result.exit_code == 2 and "must not exceed 1" in result.output


def test_bad_seed_is_one_clear_line(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text("companies:\n  - {identifier: A}\n")
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--seed", str(seed)])
    assert result.exit_code == 1
    assert "name is required" in result.output and "Traceback" not in result.output


def test_port_in_use_is_one_clear_line():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", str(port)])
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.output
