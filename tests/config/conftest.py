"""Shared helpers for the config tests: the fixture fleet and a way to vary it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "config"
FLEET = FIXTURES / "fleet"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fleet_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture fleet (reconciler.yaml + customers/)."""
    root = tmp_path / "fleet"
    shutil.copytree(FLEET / "customers", root / "customers")
    shutil.copy(FLEET / "reconciler.yaml", root / "reconciler.yaml")
    return root


def replace_line(path: Path, old: str, new: str) -> None:
    """Swap one exact line of a file (the test shows the fault it injects)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old + "\n") == 1, f"{old!r} not found once in {path}"
    path.write_text(text.replace(old + "\n", new + "\n"), encoding="utf-8")
