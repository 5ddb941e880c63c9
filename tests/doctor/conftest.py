"""A copy of the example fleet for doctor tests, and doctor run on it in process against a
sandbox app of the test's own (faults, clock, release) or served on 127.0.0.1."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.runtime import open_runtime
from reconciler.sandbox import create_app, transport
from tests.served_fleet import make_fleet


@dataclass
class Doctor:
    exit_code: int
    output: str

    @property
    def checks(self) -> dict[str, dict]:
        return {c["name"]: c for c in json.loads(self.output)["checks"]}


def run_doctor(root, app, *args: str, env: dict | None = None, clock: Callable | None = None
               ) -> Doctor:
    """`reconciler doctor ARGS` on `root` with ConnectWise (and LMPI) played by `app`."""
    options = {"rate_limit_per_minute": None, "sleep": lambda s: None, "max_retries": 0}
    factory = functools.partial(open_runtime, cw_transport=transport(app),
                                client_options=options, env=env or {},
                                **({"clock": clock} if clock else {}))
    result = CliRunner().invoke(cli, ["--root", str(root), "doctor", *args],
                                obj={"open_runtime": factory})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Doctor(result.exit_code, result.output)


@pytest.fixture
def fleet(tmp_path):
    return make_fleet(tmp_path / "fleet", "sandbox")


@pytest.fixture
def app():
    return create_app(seed=None)
