"""Helpers of the cross-cutting CLI tests (test_no_leaks, test_no_tracebacks): a temp copy
of the example fleet aimed at a sandbox served on 127.0.0.1, and the CLI run as a real
subprocess or in process."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from click.testing import CliRunner

from reconciler.cli import cli
from tests.processes import RUN_TIMEOUT, Process

REPO = Path(__file__).resolve().parents[1]
CLIENT_ID = "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
LMPI_PATH = "/LMPI/"  # LMPI's report is read with a POST: reading, not sending


def make_fleet(dest: Path, cw_url: str, *, lmpi_url: str | None = None,
               tmems_url: str | None = None, copy_data: bool = False) -> Path:
    """The example fleet (reconciler.yaml, customers/, data/) in `dest`, its
    connectwise.url set to `cw_url`; given `lmpi_url`, usage read from LMPI there, and
    given `tmems_url`, Email Security counts collected from there.
    data/ is a link to the repository's unless `copy_data` (to break it)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "customers", dest / "customers")
    if copy_data:
        shutil.copytree(REPO / "data", dest / "data")
    else:
        (dest / "data").symlink_to(REPO / "data", target_is_directory=True)
    settings = yaml.safe_load((REPO / "reconciler.yaml").read_text(encoding="utf-8"))
    settings["connectwise"]["url"] = cw_url
    if lmpi_url:
        settings["sources"]["usage"] = {"kind": "lmpi", "url": lmpi_url}
    if tmems_url:
        settings["sources"]["detections"]["email_security"] = {"url": tmems_url}
    (dest / "reconciler.yaml").write_text(yaml.safe_dump(settings, sort_keys=False),
                                          encoding="utf-8")
    return dest


def cw_env(private_key: str, *, company: str = "sandbox", public_key: str = "sandbox-public",
           lmpi_token: str = "", lmpi_secret: str = "") -> dict[str, str]:
    """The CW_* (and LMPI_*) variables a run gets."""
    env = {"CW_COMPANY_ID": company, "CW_PUBLIC_KEY": public_key,
           "CW_PRIVATE_KEY": private_key, "CW_CLIENT_ID": CLIENT_ID}
    if lmpi_token:
        env |= {"LMPI_ACCESS_TOKEN": lmpi_token, "LMPI_SECRET_KEY": lmpi_secret}
    return env


@dataclass(frozen=True)
class Run:
    """One finished CLI run."""

    args: tuple[str, ...]
    exit_code: int
    stdout: bytes
    stderr: bytes

    def text(self) -> str:
        return (self.stdout + self.stderr).decode("utf-8", "replace")


def run_process(root: Path | str, args: list[str], env: dict[str, str], *,
                cwd: Path | None = None, timeout: float = RUN_TIMEOUT) -> Run:
    """`python -m reconciler --root ROOT ARGS` as a real subprocess (killed, group and
    all, if it outlives `timeout`)."""
    full = {k: v for k, v in os.environ.items()
            if not k.startswith(("CW_", "LMPI_", "RECONCILER_"))} | env | {"NO_COLOR": "1"}
    with Process([sys.executable, "-m", "reconciler", "--root", str(root), *args],
                 env=full, cwd=cwd) as process:
        code = process.wait(timeout)
    return Run(tuple(args), code, process.stdout, process.stderr)


def run_inprocess(root: Path | str, args: list[str], env: dict[str, str]) -> Run:
    """The same in process (click's runner), so log records reach caplog."""
    unset = {k: None for k in os.environ if k.startswith(("CW_", "LMPI_", "RECONCILER_"))}
    result = CliRunner().invoke(cli, ["--root", str(root), *args], env=unset | env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # the CLI catches everything: this would be a bug in the test
    return Run(tuple(args), result.exit_code, result.stdout_bytes, result.stderr_bytes or b"")


def writes(app, since: int = 0) -> list[tuple[str, str]]:
    """ConnectWise writes the sandbox received after request number `since`."""
    return [(method, uri) for method, uri in app.request_log[since:]
            if method in WRITES and not uri.startswith(LMPI_PATH)]
