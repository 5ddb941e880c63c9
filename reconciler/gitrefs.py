"""The fleet as git knows it: files changed since a ref, and the fleet at a ref.

`plan --changed-since REF` asks which customer files differ from REF; the policy review
and `history` load the fleet as it was at a commit. Both go through the `git` command
line (no library: git is on every CI runner and developer machine), always with
`-z`/batch plumbing so odd file names and large histories stay correct and fast.

A ref is compared through its merge base with HEAD, like a pull request on GitHub:
`--changed-since origin/main` shows what this branch changed, not what main gained since.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from reconciler.config import load_fleet
from reconciler.config.model import Fleet
from reconciler.errors import ConfigError, ReconcilerError

# What a fleet is made of in git (schemas come with the installed package, not the ref).
FLEET_PATHS = ("reconciler.yaml", "customers")


class GitError(ReconcilerError):
    """git could not answer: not a repository, unknown ref, git missing."""


class NoFleetAtRef(GitError):
    """The ref exists but has no reconciler.yaml (e.g. a commit before the fleet began)."""


class FleetInvalidAtRef(ConfigError):
    """The configuration at a ref does not load; carries the diagnostics."""

    def __init__(self, ref: str, diagnostics: Iterable = ()):
        self.ref = ref
        self.diagnostics = tuple(diagnostics)
        shown = "; ".join(str(d) for d in self.diagnostics[:3])
        more = len(self.diagnostics) - 3
        self.detail = shown + (f" (and {more} more)" if more > 0 else "")
        super().__init__(f"the configuration at {ref} is invalid: {self.detail}")


def run_git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run git in `root` and return stdout; any failure becomes a `GitError`."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=root,
            input=stdin,
            capture_output=True,
            env=env,
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed (needed for --changed-since and history)") from exc
    except NotADirectoryError as exc:
        raise GitError(f"{root} is not a folder") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


def repo_prefix(root: Path) -> str:
    """The path of `root` inside its repository ("" at the top, else "sub/dir/")."""
    if not Path(root).is_dir():
        raise GitError(f"{root} is not a folder")
    try:
        return run_git(root, "rev-parse", "--show-prefix").decode().strip()
    except GitError as exc:
        raise GitError(f"{root} is not inside a git repository: {exc}") from None


def resolve_commit(root: Path, ref: str) -> str:
    """The full commit id of `ref`, or a clear error naming it."""
    repo_prefix(root)  # "not a git repository" reads better than "unknown ref"
    if ref.startswith("-"):  # never let a ref be read as an option
        raise GitError(f"unknown git ref {ref!r}")
    try:
        return (
            run_git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
        )
    except GitError:
        raise GitError(
            f"unknown git ref {ref!r} (in CI, fetch it first: git fetch origin <branch>)"
        ) from None


def merge_base(root: Path, ref: str) -> str:
    """The commit a branch forked from `ref` (the ref itself when HEAD descends from it)."""
    commit = resolve_commit(root, ref)
    try:
        return run_git(root, "merge-base", commit, "HEAD").decode().strip()
    except GitError:
        # No common history (or no HEAD yet): compare against the ref itself.
        return commit


def changed_files(root: Path, ref: str) -> set[str]:
    """Paths relative to `root` that differ between `ref` and the working tree.

    Includes staged, unstaged, deleted and untracked (not ignored) files, so a new
    customer file counts before it is committed.
    """
    root = Path(root)
    base = merge_base(root, ref)
    out = run_git(root, "diff", "--name-only", "-z", "--relative", "--no-renames", base, "--")
    changed = {p for p in out.decode().split("\0") if p}
    untracked = run_git(root, "ls-files", "--others", "--exclude-standard", "-z")
    changed.update(p for p in untracked.decode().split("\0") if p)
    return changed


def tree_entries(root: Path, commit: str) -> dict[str, str]:
    """The fleet's files at `commit`: path relative to `root` -> blob id."""
    prefix = repo_prefix(root)
    specs = [f"{prefix}{p}" for p in FLEET_PATHS]
    out = run_git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *specs)
    entries: dict[str, str] = {}
    for record in out.decode().split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        _mode, kind, blob = meta.split()
        if kind == "blob":
            entries[path[len(prefix) :]] = blob
    return entries


def read_blobs(root: Path, blobs: Iterable[str]) -> dict[str, bytes]:
    """The contents of many blobs in one `git cat-file --batch` call."""
    wanted = list(dict.fromkeys(blobs))
    if not wanted:
        return {}
    out = run_git(root, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in wanted).encode())
    contents: dict[str, bytes] = {}
    pos = 0
    for blob in wanted:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].decode().split()
        if len(header) != 3:  # "<id> missing"
            raise GitError(f"git object {blob} is missing")
        size = int(header[2])
        start = header_end + 1
        contents[blob] = out[start : start + size]
        pos = start + size + 1  # the content is followed by a newline
    return contents


def load_entries(
    root: Path,
    entries: Mapping[str, str],
    *,
    label: str,
    blobs: Mapping[str, bytes] | None = None,
    partial: bool = False,
) -> Fleet:
    """Materialize fleet files (path -> blob id) in a temp dir and load them strictly
    (with `partial`, customer files with errors are left out on `Fleet.rejected`).

    `label` names the commit in messages. The returned Fleet's `root` is `root` (the
    temp dir is gone by then); customer paths stay relative, as in the working tree.
    """
    if "reconciler.yaml" not in entries:
        raise NoFleetAtRef(f"there is no reconciler.yaml at {label}")
    data = blobs if blobs is not None else read_blobs(root, entries.values())
    with tempfile.TemporaryDirectory(prefix="reconciler-ref-") as tmp:
        for rel, blob in entries.items():
            target = Path(tmp, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data[blob])
        Path(tmp, "customers").mkdir(exist_ok=True)
        try:
            fleet = load_fleet(Path(tmp), partial=partial)
        except ConfigError as exc:
            diagnostics = getattr(exc, "diagnostics", None) or (str(exc),)
            raise FleetInvalidAtRef(label, diagnostics) from None
    return replace(fleet, root=Path(root))


def fleet_at(root: Path, ref: str, *, partial: bool = False) -> Fleet:
    """The fleet (reconciler.yaml + customers/) as committed at `ref`."""
    root = Path(root)
    commit = resolve_commit(root, ref)
    return load_entries(root, tree_entries(root, commit), label=ref, partial=partial)
