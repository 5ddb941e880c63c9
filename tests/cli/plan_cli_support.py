"""Shared set-up of the plan/apply/verify/import CLI tests: a tmp example fleet."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from tests.processes import QUICK_TIMEOUT

REPO = Path(__file__).resolve().parents[2]


def example_fleet(tmp_path: Path) -> Path:
    shutil.copy(REPO / "reconciler.yaml", tmp_path / "reconciler.yaml")
    shutil.copytree(REPO / "customers", tmp_path / "customers")
    return tmp_path


def run(root: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(cli, ["--root", str(root), *args], env=env)


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root, check=True, capture_output=True, timeout=QUICK_TIMEOUT,
    )
