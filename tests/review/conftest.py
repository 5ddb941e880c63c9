"""A throwaway git repository holding a copy of the example fleet, built per test."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.processes import QUICK_TIMEOUT

PROJECT = Path(__file__).resolve().parents[2]


class GitRepo:
    """A git repo in a temp dir with helpers to edit fleet files and commit them."""

    def __init__(self, root: Path):
        self.root = root
        self._tick = 0
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, author: str = "Ada Admin <ada@example.com>",
            at: str | None = None) -> str:
        name, email = author[: author.index("<")].strip(), author[author.index("<") + 1 : -1]
        # Fixed, increasing dates so history output is reproducible (or the one given).
        date = at or f"2026-11-{1 + self._tick:02d}T09:00:00+00:00"
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True,
            timeout=QUICK_TIMEOUT,
        )
        return done.stdout.strip()

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text()

    def replace(self, rel: str, old: str, new: str) -> None:
        text = self.read(rel)
        assert old in text, f"{old!r} not in {rel}"
        self.write(rel, text.replace(old, new, 1))

    def commit(self, message: str, *, author: str = "Ada Admin <ada@example.com>",
               at: str | None = None) -> str:
        """Commit everything; dated `at` (ISO 8601) when given."""
        self.git("add", "-A", author=author)
        self.git("commit", "-q", "--allow-empty", "-m", message, author=author, at=at)
        self._tick += 1
        return self.git("rev-parse", "HEAD")


def copy_fleet(target: Path) -> None:
    """The example fleet (settings, customers, schemas) of this project."""
    shutil.copy(PROJECT / "reconciler.yaml", target / "reconciler.yaml")
    shutil.copytree(PROJECT / "customers", target / "customers")
    if (PROJECT / "schemas").is_dir():
        shutil.copytree(PROJECT / "schemas", target / "schemas")


def new_fleet_repo(tmp_path: Path) -> GitRepo:
    """The example fleet in a new repository, committed once (2026-11-01 09:00 UTC)."""
    root = tmp_path / "fleet"
    root.mkdir()
    r = GitRepo(root)
    copy_fleet(root)
    r.commit("Example fleet")
    return r


@pytest.fixture
def fleet_repo(tmp_path: Path) -> GitRepo:
    return new_fleet_repo(tmp_path)
