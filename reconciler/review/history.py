"""The audit trail from git: every commit that changed a customer's effective policy.

Git already records who changed what and when; what it cannot say is what a commit
meant for a customer ("billing day 5 -> 31"), nor that an edit of reconciler.yaml
changed every global customer. So each commit touching the fleet is compared with its
first parent through the same semantic diff as the PR review.

Loading a fleet per commit is the cost; it is kept to one load per distinct set of
file versions (cached by blob ids), and blobs are read in one batch per commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.config.model import Fleet
from reconciler.errors import ReconcilerError
from reconciler.gitrefs import (
    FLEET_PATHS,
    FleetInvalidAtRef,
    NoFleetAtRef,
    load_entries,
    read_blobs,
    repo_prefix,
    resolve_commit,
    run_git,
    tree_entries,
)
from reconciler.review.policy import CustomerPolicyChange, policy_changes

FORMAT_VERSION = 1
_FIELD, _RECORD = "\x1f", "\x1e"
LOOKBACK = 200  # commits searched back for a valid configuration past an invalid one


@dataclass(frozen=True)
class HistoryEntry:
    """One commit that changed at least one customer's effective policy (or broke the config)."""

    commit: str
    date: str  # author date, ISO 8601 with offset
    author: str
    email: str
    subject: str
    files: tuple[str, ...]  # fleet files the commit changed, relative to the fleet root
    changes: tuple[CustomerPolicyChange, ...]
    error: str | None = None  # the configuration does not load at this commit
    compared_with: str | None = None  # set when the parent was invalid: the last valid commit

    @property
    def short(self) -> str:
        return self.commit[:7]

    def to_json(self) -> dict:
        return {
            "commit": self.commit,
            "short": self.short,
            "date": self.date,
            "author": {"name": self.author, "email": self.email},
            "subject": self.subject,
            "files": list(self.files),
            "error": self.error,
            "compared_with": self.compared_with,
            "customers": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class History:
    customer: str | None
    since: str | None
    entries: tuple[HistoryEntry, ...]  # newest first, like git log

    def to_json(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "customer": self.customer,
            "since": self.since,
            "commits": [e.to_json() for e in self.entries],
        }


@dataclass(frozen=True)
class _Commit:
    commit: str
    parent: str | None
    date: str
    author: str
    email: str
    subject: str


def _log(root: Path, since: str | None) -> list[_Commit]:
    """Non-merge commits touching the fleet, oldest first (merges bring their commits)."""
    prefix = repo_prefix(root)
    revs = [f"{resolve_commit(root, since)}..HEAD"] if since else ["HEAD"]
    try:
        run_git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    except ReconcilerError:
        return []  # a repository without commits has no history
    fmt = _FIELD.join(["%H", "%P", "%aI", "%an", "%ae", "%s"]) + _RECORD
    out = run_git(
        root,
        "log",
        "--no-merges",
        "--reverse",
        f"--format={fmt}",
        *revs,
        "--",
        *(f"{prefix}{p}" for p in FLEET_PATHS),
    ).decode("utf-8", "replace")
    commits = []
    for record in out.split(_RECORD):
        record = record.strip("\n")
        if not record:
            continue
        commit, parents, date, author, email, subject = record.split(_FIELD)
        first_parent = parents.split()[0] if parents.split() else None
        commits.append(_Commit(commit, first_parent, date, author, email, subject))
    return commits


class _FleetCache:
    """Fleets by commit, loaded once per distinct set of file versions."""

    def __init__(self, root: Path):
        self.root = root
        self._entries: dict[str, dict[str, str]] = {}
        self._blobs: dict[str, bytes] = {}
        self._fleets: dict[frozenset, Fleet | FleetInvalidAtRef | None] = {}

    def entries(self, commit: str) -> dict[str, str]:
        if commit not in self._entries:
            self._entries[commit] = tree_entries(self.root, commit)
        return self._entries[commit]

    def fleet(self, commit: str) -> Fleet | FleetInvalidAtRef | None:
        """The fleet at `commit`, the error that stops it loading, or None (no fleet yet)."""
        entries = self.entries(commit)
        key = frozenset(entries.items())
        if key not in self._fleets:
            missing = [b for b in entries.values() if b not in self._blobs]
            self._blobs.update(read_blobs(self.root, missing))
            try:
                loaded: Fleet | FleetInvalidAtRef | None = load_entries(
                    self.root, entries, label=commit[:7], blobs=self._blobs
                )
            except NoFleetAtRef:
                loaded = None
            except FleetInvalidAtRef as exc:
                loaded = exc
            self._fleets[key] = loaded
        return self._fleets[key]

    def last_valid_before(self, commit: str) -> tuple[str | None, Fleet | None]:
        """The nearest first-parent ancestor (or `commit` itself) whose fleet loads."""
        specs = [f"{repo_prefix(self.root)}{p}" for p in FLEET_PATHS]
        out = run_git(
            self.root, "rev-list", "--first-parent", f"--max-count={LOOKBACK}", commit, "--", *specs
        )
        for candidate in out.decode().split():
            fleet = self.fleet(candidate)
            if not isinstance(fleet, FleetInvalidAtRef):
                return candidate, fleet
        return None, None


def _matches(change: CustomerPolicyChange, customer: str | None) -> bool:
    return customer is None or change.slug == customer or change.company.lower() == customer.lower()


def history(root: Path, customer: str | None = None, *, since: str | None = None) -> History:
    """Commits (newest first) that changed the effective policy of `customer` (slug or
    ConnectWise company id; every customer when None), optionally only after `since`."""
    root = Path(root)
    cache = _FleetCache(root)
    entries: list[HistoryEntry] = []
    seen: set[str] = set()  # slugs and company ids that ever existed, for a clear error
    for c in _log(root, since):
        head = cache.fleet(c.commit)
        before_entries = cache.entries(c.parent) if c.parent else {}
        now_entries = cache.entries(c.commit)
        files = tuple(
            sorted(
                p
                for p in set(before_entries) | set(now_entries)
                if before_entries.get(p) != now_entries.get(p)
            )
        )
        meta = (c.commit, c.date, c.author, c.email, c.subject, files)
        if isinstance(head, FleetInvalidAtRef):
            error = f"config invalid at {c.commit[:7]}: {head.detail}"
            entries.append(HistoryEntry(*meta, changes=(), error=error))
            continue
        base = cache.fleet(c.parent) if c.parent else None
        compared_with = None
        if isinstance(base, FleetInvalidAtRef):
            # The parent does not load: compare with the last configuration that did.
            compared_with, base = cache.last_valid_before(c.parent)  # type: ignore[arg-type]
        if head is None:
            continue
        seen.update(x for cu in head.customers for x in (cu.slug, cu.company.lower()))
        changes = tuple(ch for ch in policy_changes(base, head) if _matches(ch, customer))
        if changes:
            entries.append(HistoryEntry(*meta, changes=changes, compared_with=compared_with))
    if customer is not None and customer not in seen and customer.lower() not in seen:
        raise ReconcilerError(
            f"customer {customer!r} does not appear in the history of {root} "
            "(give its file name without .yaml, e.g. acme, or its ConnectWise company id)"
        )
    return History(customer, since, tuple(reversed(entries)))
