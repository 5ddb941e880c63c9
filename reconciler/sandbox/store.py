"""The sandbox's state: records per collection, optionally persisted to a JSON file.

Every request runs inside `Store.session()`: one thread lock plus, with a state file, an
exclusive `fcntl.flock` on `<state>.lock`, so CLI runs in sequence or in parallel share
one consistent world. The file is reloaded when it (or its journal) changed on disk.

A mutating request appends ONE line to `<state>.journal`: the records it wrote (or
deleted), so a write costs what it changed, not the whole state (a 2,000-customer state
is ~20 MB). Loading applies the journal to the snapshot; a torn last line (a process
killed mid-write, before it answered) is skipped. When the journal outgrows a quarter of
the snapshot, the snapshot is rewritten atomically (temp file + os.replace, compact JSON)
and the journal removed; replaying a journal left behind by a crash in between is
harmless, as every line sets records to values the snapshot already holds.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError

from .index import FieldIndex
from .resources import API_MEMBER, Kind, Ref, iso

STATE_FORMAT = 1


class StateFileError(ReconcilerError, ValueError):
    """A state file that cannot be read as sandbox state."""


class State:
    """All records, by collection and id, plus LMPI's customers and usage rows."""

    def __init__(self) -> None:
        self.collections: dict[str, dict[int, dict]] = {}
        self.next_id: dict[str, int] = {}
        self.lmpi_usage: list[dict] = []
        self.lmpi_customers: list[dict] = []
        # the Email Security simulator's seed {seed, domains}; None: a state file from
        # before it existed (the packaged seed's is used)
        self.tmems: dict | None = {}
        self.dirty = False
        self.changes: list[tuple[str, int]] = []  # (collection, id) written since saved
        # Caches that keep big seeds and lists linear; kept in step with every write.
        self._sorted: dict[str, list[int]] = {}
        self._keys: dict[tuple[str, str], dict[str, list[int]]] = {}
        self._fields: dict[tuple[str, str], FieldIndex] = {}  # for conditions, built on use

    def _changed(self, collection: str, old: Mapping | None, new: Mapping | None) -> None:
        """Keep the caches right after a record was inserted, replaced or deleted."""
        self.dirty = True
        record_id = (new or old)["id"]
        self.changes.append((collection, record_id))
        ids = self._sorted.get(collection)
        if ids is not None and (old is None) != (new is None):
            if new is not None:
                bisect.insort(ids, record_id)
            else:
                ids.remove(record_id)
        for (coll, key), index in self._keys.items():
            if coll != collection:
                continue
            if old is not None:
                index[str(old.get(key, "")).lower()].remove(record_id)
            if new is not None:
                bisect.insort(index.setdefault(str(new.get(key, "")).lower(), []), record_id)
        for (coll, _path), field_index in self._fields.items():
            if coll != collection:
                continue
            if old is not None:
                field_index.remove(old)
            if new is not None:
                field_index.add(new)

    # -- reads
    def records(self, collection: str) -> list[dict]:
        """The records of a collection, ordered by id."""
        coll = self.collections.get(collection, {})
        ids = self._sorted.get(collection)
        if ids is None:
            ids = self._sorted[collection] = sorted(coll)
        return [coll[i] for i in ids]

    def by_key(self, collection: str, key: str, value: str) -> list[dict]:
        """Records whose `key` equals `value` case-insensitively, ordered by id."""
        index = self._keys.get((collection, key))
        if index is None:
            index = {}
            for rec in self.records(collection):
                index.setdefault(str(rec.get(key, "")).lower(), []).append(rec["id"])
            self._keys[(collection, key)] = index
        coll = self.collections.get(collection, {})
        return [coll[i] for i in index.get(value.lower(), [])]

    def field_index(self, collection: str, path: str) -> FieldIndex:
        """The index of the value at `path` (`externalXRef`, `company/id`) over a
        collection; built on first use, then kept in step with every write."""
        index = self._fields.get((collection, path))
        if index is None:
            index = FieldIndex(path)
            for rec in self.collections.get(collection, {}).values():
                index.add(rec)
            self._fields[(collection, path)] = index
        return index

    def find(self, collection: str, record_id: int) -> dict | None:
        return self.collections.get(collection, {}).get(record_id)

    def get(self, collection: str, record_id: int) -> dict:
        rec = self.find(collection, record_id)
        if rec is None:
            raise KeyError(record_id)
        return rec

    def reference(self, ref: Ref, value: Any, owner: Mapping | None = None) -> dict:
        """Resolve `{"id": N}` / `{"identifier": "X"}` / `{"name": "X"}` to a stored reference.

        Raises LookupError with a message naming what was not found.
        """
        if isinstance(value, bool) or value is None:
            raise LookupError("must be a reference object")
        if isinstance(value, int):
            value = {"id": value}
        elif isinstance(value, str):  # seed shorthand: the identifier or name
            value = {ref.by[0]: value}
        if not isinstance(value, Mapping):
            raise LookupError("must be a reference object such as {\"id\": 1}")
        noun = ref.target.replace("_", " ").rstrip("s")
        found: list[dict]
        if value.get("id") is not None:
            try:
                wanted = int(value["id"])
            except (TypeError, ValueError):
                raise LookupError(f"{noun} id must be a number") from None
            hit = self.find(ref.target, wanted)
            found = [hit] if hit is not None else []
            described = f"id {wanted}"
        else:
            key = next((k for k in ref.by if isinstance(value.get(k), str)), None)
            if key is None:
                raise LookupError(f"{noun} reference needs an id or {' or '.join(ref.by)}")
            found = self.by_key(ref.target, key, value[key])
            described = f"{key} '{value[key]}'"
        if ref.scoped_to_board:
            board = (owner or {}).get("board")
            board_id = board.get("id") if isinstance(board, Mapping) else None
            if board_id is None:
                raise LookupError(f"a board is needed to find the {noun}")
            found = [c for c in found if (c.get("board") or {}).get("id") == board_id]
        if not found:
            raise LookupError(f"{noun} with {described} was not found")
        if len(found) > 1:
            raise LookupError(f"{noun} with {described} is ambiguous; give its id")
        target = found[0]
        return {"id": target["id"], **{k: target.get(k) for k in ref.copy}}

    def duplicate(self, kind: Kind, name: str, value: str, rec: Mapping,
                  record_id: int | None) -> bool:
        """Whether another record (within the same parent) already has this value."""
        for other in self.by_key(kind.collection, name, value):
            if other["id"] == record_id:
                continue
            if kind.parent_field and _parent_of(other, kind) != _parent_of(rec, kind):
                continue
            return True
        return False

    # -- writes
    def insert(self, collection: str, rec: dict, now: datetime, record_id: int | None = None,
               info: dict | None = None) -> dict:
        coll = self.collections.setdefault(collection, {})
        if record_id is None:
            record_id = max(self.next_id.get(collection, 1), max(coll, default=0) + 1)
        self.next_id[collection] = max(self.next_id.get(collection, 1), record_id + 1)
        stamp = iso(now)
        rec = {"id": record_id, **rec, "_info": info or {
            "lastUpdated": stamp, "updatedBy": API_MEMBER,
            "dateEntered": stamp, "enteredBy": API_MEMBER}}
        old = coll.get(record_id)
        coll[record_id] = rec
        self._changed(collection, old, rec)
        return rec

    def replace(self, collection: str, record_id: int, rec: dict, now: datetime) -> dict:
        old = self.get(collection, record_id)
        info = dict(old.get("_info") or {})
        info.update({"lastUpdated": iso(now), "updatedBy": API_MEMBER})
        new = {"id": record_id, **rec, "_info": info}
        self.collections[collection][record_id] = new
        self._changed(collection, old, new)
        return new

    def delete(self, collection: str, record_id: int) -> None:
        old = self.collections[collection].pop(record_id)
        self._changed(collection, old, None)

    # -- persistence
    def to_json(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "collections": {name: self.records(name) for name in sorted(self.collections)},
            "next_id": dict(sorted(self.next_id.items())),
            "lmpi_usage": self.lmpi_usage,
            "lmpi_customers": self.lmpi_customers,
            "tmems": self.tmems,
        }

    @classmethod
    def from_json(cls, data: Any) -> State:
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise StateFileError("not a sandbox state file (format 1)")
        state = cls()
        try:
            for name, records in data["collections"].items():
                state.collections[name] = {int(r["id"]): r for r in records}
            state.next_id = {k: int(v) for k, v in data.get("next_id", {}).items()}
            state.lmpi_usage = list(data.get("lmpi_usage", []))
            state.lmpi_customers = list(data.get("lmpi_customers", []))
            state.tmems = dict(data["tmems"]) if data.get("tmems") is not None else None
            _upgrade_lmpi(state)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateFileError(f"damaged sandbox state file ({exc})") from None
        return state


def _upgrade_lmpi(state: State) -> None:
    """State files written before LMPI rows named their customer (rows carried
    customer_id and customer_name): the same data in today's shape."""
    for row in state.lmpi_usage:
        if "customer" not in row and "customer_name" in row:
            if not any(c.get("customer_id") == row.get("customer_id")
                       for c in state.lmpi_customers):
                state.lmpi_customers.append({"customer_id": row.get("customer_id"),
                                             "name": row["customer_name"],
                                             "created": "2024-01-01T00:00:00Z"})
            row["customer"] = row.pop("customer_name")
            row.pop("customer_id", None)


def _parent_of(rec: Mapping, kind: Kind) -> Any:
    value = rec.get(kind.parent_field)
    return value.get("id") if isinstance(value, Mapping) else value


JOURNAL_MIN = 1 << 20  # bytes of journal always allowed before compacting
JOURNAL_SHARE = 0.25  # ... or this share of the snapshot's size


class Store:
    """Owns the State and its file; hands it out one request at a time."""

    def __init__(self, initial: State, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._lock = threading.RLock()
        self._stamp: tuple | None = None
        self.state = initial
        self.state.changes.clear()
        if self.path is not None:
            self.journal = self.path.with_name(self.path.name + ".journal")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._file_lock():
                if self.path.exists():
                    self._load()
                else:
                    self._save()

    @contextlib.contextmanager
    def session(self) -> Iterator[State]:
        """The state for one request; what it changed is saved when it succeeds."""
        with self._lock:
            if self.path is None:
                yield self.state
                self.state.dirty = False
                self.state.changes.clear()
                return
            with self._file_lock():
                if self._file_stamp() != self._stamp:
                    self._load()
                try:
                    yield self.state
                except BaseException:
                    if self.state.dirty:
                        self._load()  # the files still hold the state before this request
                    raise
                if self.state.dirty:
                    self._commit()

    def save(self) -> None:
        """Fold the journal into the state file (a clean stop); nothing without a file."""
        if self.path is None:
            return
        with self._lock, self._file_lock():
            if self._file_stamp() != self._stamp:
                self._load()  # another process wrote since: keep its writes
            self._save()

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        assert self.path is not None
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _file_stamp(self) -> tuple | None:
        stamps = []
        for path in (self.path, self.journal):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                stamps.append(None)
                continue
            stamps.append((st.st_ino, st.st_mtime_ns, st.st_size))
        return tuple(stamps) if stamps[0] is not None else None

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            self._save()
            return
        except (OSError, ValueError) as exc:
            raise StateFileError(f"cannot read sandbox state {self.path}: {exc}") from None
        state = State.from_json(data)
        try:
            lines = self.journal.read_bytes().split(b"\n")
        except FileNotFoundError:
            lines = []
        for line in lines:
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                _replay(state, entry["changes"])
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # a torn line: that request was killed before it answered
        self.state = state
        self._stamp = self._file_stamp()

    def _commit(self) -> None:
        """Append this request's writes to the journal, or compact when it is big."""
        state = self.state
        changes = []
        for collection, record_id in dict.fromkeys(state.changes):
            changes.append({"c": collection, "id": record_id,
                            "r": state.find(collection, record_id),
                            "n": state.next_id.get(collection)})
        # Each line starts on a line of its own even after a torn one (empty lines skip).
        line = b"\n" + json.dumps({"changes": changes}, separators=(",", ":")).encode()
        stamp = self._stamp or (None, None)
        snapshot = stamp[0][2] if stamp[0] else 0
        journal = stamp[1][2] if stamp[1] else 0
        if journal + len(line) > max(JOURNAL_MIN, snapshot * JOURNAL_SHARE):
            self._save()
            return
        with open(self.journal, "ab") as out:
            out.write(line)  # one write: a request's changes land whole or torn (ignored)
        state.dirty = False
        state.changes.clear()
        self._stamp = self._file_stamp()

    def _save(self) -> None:
        """Rewrite the snapshot atomically and drop the journal it now includes."""
        assert self.path is not None
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp",
                                   dir=self.path.parent)
        try:
            # One compact json.dumps: it runs in C, where json.dump or any indent takes
            # the pure-Python encoder (~40x slower: seconds per write on a big fleet's state).
            text = json.dumps(self.state.to_json(), separators=(",", ":"))
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.journal)
        self.state.dirty = False
        self.state.changes.clear()
        self._stamp = self._file_stamp()


def _replay(state: State, changes: list) -> None:
    """Apply one journal line to a freshly loaded state (before any cache is built)."""
    for change in changes:
        collection, record_id, record = change["c"], int(change["id"]), change["r"]
        records = state.collections.setdefault(collection, {})
        if record is None:
            records.pop(record_id, None)
        else:
            records[record_id] = record
        if change.get("n") is not None:
            state.next_id[collection] = max(state.next_id.get(collection, 1), int(change["n"]))
