"""`reconciler sandbox serve`: prints where it listens, serves, honours the knobs."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
from click.testing import CliRunner

from reconciler.cli import cli

from .conftest import CLIENT_ID, basic


def start(*args: str) -> tuple[subprocess.Popen, str, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "sandbox", "serve", "--port",
                             "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines = [proc.stdout.readline() for _ in range(7)]
    url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", lines[0]).group(1)
    return proc, url, lines


def test_serve_with_state_and_custom_private_key(tmp_path):
    state = tmp_path / "state.json"
    proc, url, lines = start("--state", str(state), "--private-key", "s3cret-key",
                             "--rate-429", "0")
    try:
        headers = {"Authorization": basic("sandbox+sandbox-public", "s3cret-key"),
                   "clientId": CLIENT_ID}
        r = httpx.get(url + "/v4_6_release/apis/3.0/company/companies/count", headers=headers)
        assert r.json()["count"] == 15
        assert "s3cret-key" not in "".join(lines) and "not shown" in "".join(lines)
        readonly = {"Authorization": basic("sandbox+sandbox-readonly",
                                           "sandbox-readonly-private"), "clientId": CLIENT_ID}
        r = httpx.get(url + "/v4_6_release/apis/3.0/system/info", headers=readonly)
        assert r.status_code == 401  # the public demo pair is off with a key of your own
        assert state.exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_fault_knobs(tmp_path):
    proc, url, _ = start("--rate-429", "1", "--retry-after", "9")
    try:
        r = httpx.get(url + "/v4_6_release/apis/3.0/system/info")
        assert r.status_code == 429 and r.headers["Retry-After"] == "9"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
