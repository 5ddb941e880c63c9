"""The audit trail from git: every commit that changed a customer's effective policy.

Git already records who changed what and when; what it cannot say is what a commit
meant for a customer ("billing day 5 -> 31"), nor that an edit of reconciler.yaml
changed every global customer. So each commit touching the fleet is compared with its
first parent through the same semantic diff as the PR review.

Loading a fleet per commit is the cost; it is kept to one load per distinct set of
file versions (cached by blob ids), and blobs are read in one batch per commit.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from reconciler.config.fleet import CUSTOMER_SUFFIXES, CUSTOMERS_DIR, SETTINGS_FILE
from reconciler.config.model import Fleet
from reconciler.errors import ReconcilerError
from reconciler.gitrefs import FleetInvalidAtRef, repo_prefix, resolve_commit, run_git
from reconciler.review.policy import CustomerPolicyChange, FieldChange, policy_changes
from reconciler.review.snapshots import FleetSnapshots

FORMAT_VERSION = 1
_FIELD, _RECORD = "\x1f", "\x1e"
LOOKBACK = 200  # commits searched back for a valid configuration past an invalid one
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # safe inside a glob pathspec
_REMOVED = FieldChange("", None, None, "customer removed")


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
class LoggedCommit:
    commit: str
    parent: str | None  # first parent
    date: str  # author date, ISO 8601 with offset
    author: str
    email: str
    subject: str
    committed: str  # committer date: when it landed on the branch (ISO 8601)


def log_commits(
    root: Path, since: str | None, specs: list[str], *, first_parent: bool = False
) -> list[LoggedCommit]:
    """Commits touching `specs`, oldest first: every non-merge commit (merges bring their
    commits), or with `first_parent` the commits of the branch itself (merges included),
    which is when each change came into force."""
    revs = [f"{resolve_commit(root, since)}..HEAD"] if since else ["HEAD"]
    try:
        run_git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    except ReconcilerError:
        return []  # a repository without commits has no history
    walk = ["--first-parent"] if first_parent else ["--no-merges"]
    fmt = _FIELD.join(["%H", "%P", "%aI", "%an", "%ae", "%s", "%cI"]) + _RECORD
    out = run_git(
        root, "log", *walk, "--reverse", f"--format={fmt}", *revs, "--", *specs
    ).decode("utf-8", "replace")
    commits = []
    for record in out.split(_RECORD):
        record = record.strip("\n")
        if not record:
            continue
        commit, parents, date, author, email, subject, committed = record.split(_FIELD)
        first = parents.split()[0] if parents.split() else None
        commits.append(LoggedCommit(commit, first, date, author, email, subject, committed))
    return commits


def fleet_pathspecs(root: Path, slug: str | None = None) -> list[str]:
    """What can change a policy: settings and customer files (one customer's, with `slug`).

    Pathspecs are relative to `root`, where git runs (a fleet may live in a subfolder)."""
    repo_prefix(root)  # a clear error when root is not in a repository
    if slug is None:
        return [SETTINGS_FILE, CUSTOMERS_DIR]
    globs = (f":(glob){CUSTOMERS_DIR}/**/{slug}{suffix}" for suffix in CUSTOMER_SUFFIXES)
    return [SETTINGS_FILE, *globs]


def _slug_with_history(root: Path, customer: str | None) -> str | None:
    """`customer` when some commit has a file customers/**/<customer>.yaml, else None
    (then it may be a company id, found by walking every customer)."""
    if customer is None or not _SLUG.match(customer):
        return None
    try:
        found = run_git(
            root, "log", "-1", "--format=%H", "HEAD", "--", *fleet_pathspecs(root, customer)[1:]
        )
    except ReconcilerError:
        return None  # no commits yet
    return customer if found.strip() else None


def _last_valid_before(
    root: Path, snapshots: FleetSnapshots, commit: str, specs: list[str]
) -> tuple[str | None, Fleet | None]:
    """The nearest first-parent ancestor (or `commit` itself) whose fleet loads."""
    out = run_git(
        root, "rev-list", "--first-parent", f"--max-count={LOOKBACK}", commit, "--", *specs
    )
    for candidate in out.decode().split():
        fleet = snapshots.fleet(candidate)
        if not isinstance(fleet, FleetInvalidAtRef):
            return candidate, fleet
    return None, None


def _matches(change: CustomerPolicyChange, customer: str | None) -> bool:
    return customer is None or change.slug == customer or change.company.lower() == customer.lower()


def history(root: Path, customer: str | None = None, *, since: str | None = None,
            snapshots: FleetSnapshots | None = None) -> History:
    """Commits (newest first) that changed the effective policy of `customer` (slug or
    ConnectWise company id; every customer when None), optionally only after `since`.
    `snapshots` (whole fleets of `root`) may be shared with `policy_timeline`; it serves
    the whole fleet only (a customer's history loads just its file)."""
    root = Path(root)
    slug = _slug_with_history(root, customer)
    specs = fleet_pathspecs(root, slug)
    entries: list[HistoryEntry] = []
    seen: set[str] = set()  # slugs and company ids that ever existed, for a clear error
    shared = snapshots if snapshots is not None and slug is None else None
    with nullcontext(shared) if shared else FleetSnapshots(root, only=slug) as snapshots:
        for c in log_commits(root, since, specs):
            head = snapshots.fleet(c.commit)
            before = snapshots.entries(c.parent) if c.parent else {}
            now = snapshots.entries(c.commit)
            files = tuple(sorted(p for p in set(before) | set(now) if before.get(p) != now.get(p)))
            meta = (c.commit, c.date, c.author, c.email, c.subject, files)
            if isinstance(head, FleetInvalidAtRef):
                error = f"config invalid at {c.commit[:7]}: {head.detail}"
                entries.append(HistoryEntry(*meta, changes=(), error=error))
                continue
            base = snapshots.fleet(c.parent) if c.parent else None
            compared_with = None
            if isinstance(base, FleetInvalidAtRef):
                # The parent does not load: compare with the last configuration that did.
                compared_with, base = _last_valid_before(root, snapshots, c.parent, specs)
            if head is not None:
                seen.update(x for cu in head.customers for x in (cu.slug, cu.company.lower()))
            if head is None and base is None:
                continue
            changes = tuple(ch for ch in _changes(base, head) if _matches(ch, customer))
            if changes:
                entries.append(HistoryEntry(*meta, changes=changes, compared_with=compared_with))
    if customer is not None and slug is None and customer.lower() not in seen:
        raise ReconcilerError(
            f"customer {customer!r} does not appear in the history of {root} "
            "(give its file name without .yaml, e.g. acme, or its ConnectWise company id)"
        )
    return History(customer, since, tuple(reversed(entries)))


def _changes(base: Fleet | None, head: Fleet | None) -> list[CustomerPolicyChange]:
    """Policy changes from base to head; a head without the customer counts as removal."""
    if head is None:  # the customer's file (or the whole fleet) is gone
        return [
            CustomerPolicyChange(c.slug, c.name, c.company, "removed", (_REMOVED,))
            for c in (base.customers if base else ())
        ]
    return policy_changes(base, head)
