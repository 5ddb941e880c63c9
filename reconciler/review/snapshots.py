"""Fleets at many commits of one repository, loading only what changed between them.

`history` needs the effective policy of every customer at every commit touching the
fleet. Loading the whole fleet per commit costs (commits x customers); here each
customer file version is parsed once per version of the settings, and files are written
to one scratch folder incrementally, so a commit that edits one customer costs one
file. A change of reconciler.yaml reloads everything, as it should (every global
customer's policy may change).

Partial loads check each file fully (YAML, schema, semantics) but checks *across*
files (two files for one company) only among the files loaded together; that is
`validate`'s job on the working tree, not the audit trail's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from reconciler.config import load_fleet
from reconciler.config.fleet import CUSTOMER_SUFFIXES, CUSTOMERS_DIR, SETTINGS_FILE
from reconciler.config.model import Customer, Fleet, Settings
from reconciler.errors import ConfigError
from reconciler.gitrefs import FleetInvalidAtRef, read_blobs, tree_entries

_PLACEHOLDER = "placeholder"  # a customer file present only by name (slug checks need it)

Snapshot = Fleet | FleetInvalidAtRef | None  # None: no fleet (or not the customer) there


def is_customer_file(path: str) -> bool:
    return path.startswith(f"{CUSTOMERS_DIR}/") and path.endswith(CUSTOMER_SUFFIXES)


def slug_of(path: str) -> str:
    return Path(path).stem


class FleetSnapshots:
    """Fleets by commit. `only` (a customer slug) loads just that customer's file."""

    def __init__(self, root: Path, *, only: str | None = None):
        self.root = Path(root)
        self.only = only
        self._scratch = tempfile.TemporaryDirectory(prefix="reconciler-history-")
        self.dir = Path(self._scratch.name)
        self._on_disk: dict[str, str] = {}  # path -> blob id (or _PLACEHOLDER) written
        self._entries: dict[str, dict[str, str]] = {}
        self._blobs: dict[str, bytes] = {}
        self._settings: dict[tuple, Settings] = {}
        self._customers: dict[tuple, Customer] = {}  # (settings key, path, blob) -> Customer
        self._results: dict[frozenset, Snapshot] = {}
        self.loads = 0  # load_fleet calls, for tests and benchmarks

    def close(self) -> None:
        self._scratch.cleanup()

    def __enter__(self) -> FleetSnapshots:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def entries(self, commit: str) -> dict[str, str]:
        """The fleet's files at `commit` (path relative to the fleet root -> blob id)."""
        if commit not in self._entries:
            self._entries[commit] = tree_entries(self.root, commit)
        return self._entries[commit]

    def fleet(self, commit: str) -> Snapshot:
        """The fleet at `commit`, the error that stops it loading, or None."""
        entries = self.entries(commit)
        key = frozenset(entries.items())
        if key not in self._results:
            self._results[key] = self._snapshot(entries, commit)
        return self._results[key]

    def _snapshot(self, entries: dict[str, str], commit: str) -> Snapshot:
        if SETTINGS_FILE not in entries:
            return None
        customers = {p: b for p, b in entries.items() if is_customer_file(p)}
        wanted = {
            p: b for p, b in customers.items() if self.only is None or slug_of(p) == self.only
        }
        if self.only is not None and not wanted:
            return None  # the customer has no file at this commit
        settings_key = tuple(sorted((p, b) for p, b in entries.items() if p not in customers))
        missing = [p for p, b in wanted.items() if (settings_key, p, b) not in self._customers]
        if settings_key not in self._settings or missing:
            # New settings: load everything wanted (whole fleet: cross-file checks too);
            # same settings: only the customer files not seen in this version.
            known = settings_key in self._settings
            paths = missing if known or self.only is not None else None
            error = self._load(entries, commit, settings_key, paths)
            if error is not None:
                return error
        chosen = (self._customers[(settings_key, p, b)] for p, b in wanted.items())
        return Fleet(
            root=self.root,
            settings=self._settings[settings_key],
            customers=tuple(sorted(chosen, key=lambda c: c.slug)),
        )

    def _load(
        self, entries: dict[str, str], commit: str, settings_key: tuple, paths: list[str] | None
    ) -> FleetInvalidAtRef | None:
        self._materialize(entries)
        self.loads += 1
        try:
            fleet = load_fleet(
                self.dir, paths=None if paths is None else [str(self.dir / p) for p in paths]
            )
        except ConfigError as exc:
            return FleetInvalidAtRef(commit[:7], getattr(exc, "diagnostics", None) or (str(exc),))
        self._settings[settings_key] = fleet.settings
        for customer in fleet.customers:
            blob = entries.get(customer.path)
            if blob is not None:
                self._customers[(settings_key, customer.path, blob)] = customer
        return None

    def _materialize(self, entries: dict[str, str]) -> None:
        """Make the scratch folder hold `entries`, writing only files that changed.

        With `only`, other customers' files are empty placeholders: their names still
        count (settings refer to customer slugs) but they are never loaded.
        """
        target = {
            p: (
                _PLACEHOLDER
                if self.only is not None and is_customer_file(p) and slug_of(p) != self.only
                else b
            )
            for p, b in entries.items()
        }
        for path in [p for p in self._on_disk if p not in target]:
            (self.dir / path).unlink(missing_ok=True)
            del self._on_disk[path]
            _prune_empty_parents(self.dir / path, self.dir)
        changed = {p: b for p, b in target.items() if self._on_disk.get(p) != b}
        fetch = [b for b in changed.values() if b != _PLACEHOLDER and b not in self._blobs]
        self._blobs.update(read_blobs(self.root, fetch))
        for path, blob in changed.items():
            file = self.dir / path
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(b"" if blob == _PLACEHOLDER else self._blobs[blob])
            self._on_disk[path] = blob
        (self.dir / CUSTOMERS_DIR).mkdir(exist_ok=True)


def _prune_empty_parents(file: Path, top: Path) -> None:
    """Remove the folders a deleted file leaves empty: a later commit may have a file by
    that name (customers/acme.yaml/x.yaml in one commit, customers/acme.yaml in the next)."""
    folder = file.parent
    while folder != top:
        try:
            folder.rmdir()
        except OSError:  # not empty (or gone): the folders above are not empty either
            return
        folder = folder.parent
