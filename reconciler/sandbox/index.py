"""Indexes over one field of a collection, and picking from them the records a condition
tree can match.

A real ConnectWise answers `externalXRef like "tmrm:hes:ACME:%"` from a database index;
the sandbox used to evaluate every condition on every record, so a year of tickets or a
fleet of 2,000 companies made each request scan them all. `candidates` returns a
SUPERSET of the ids a tree matches (or None: scan everything); the caller still runs the
full evaluator on each candidate, so answers are the same with or without an index.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from typing import Any

from .conditions import BoolOp, Compare, Not, like_prefix, lookup


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class FieldIndex:
    """Record ids by the value at one path: strings lower-cased (with their keys sorted,
    for prefixes), numbers by value; other non-null values (booleans, objects) are kept
    apart and are candidates for every lookup, because a condition may still match them
    after the evaluator's coercions."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.strings: dict[str, set[int]] = {}
        self.numbers: dict[Any, set[int]] = {}
        self.string_ids: set[int] = set()
        self.number_ids: set[int] = set()
        self.other_ids: set[int] = set()
        self._sorted: list[str] = []  # every key of `strings`, sorted

    def add(self, rec: Mapping) -> None:
        value, rid = lookup(rec, self.path), rec["id"]
        if isinstance(value, str):
            key = value.lower()
            bucket = self.strings.get(key)
            if bucket is None:
                bucket = self.strings[key] = set()
                bisect.insort(self._sorted, key)
            bucket.add(rid)
            self.string_ids.add(rid)
        elif _is_number(value):
            self.numbers.setdefault(value, set()).add(rid)
            self.number_ids.add(rid)
        elif value is not None:
            self.other_ids.add(rid)

    def remove(self, rec: Mapping) -> None:
        value, rid = lookup(rec, self.path), rec["id"]
        if isinstance(value, str):
            key = value.lower()
            bucket = self.strings[key]
            bucket.discard(rid)
            if not bucket:
                del self.strings[key]
                del self._sorted[bisect.bisect_left(self._sorted, key)]
            self.string_ids.discard(rid)
        elif _is_number(value):
            bucket = self.numbers[value]
            bucket.discard(rid)
            if not bucket:
                del self.numbers[value]
            self.number_ids.discard(rid)
        else:
            self.other_ids.discard(rid)

    def equal(self, value: Any) -> tuple[set[int], bool] | None:
        """Ids a `= value` may match, and whether exactly those match (None for
        literals the index does not cover)."""
        if isinstance(value, str):
            loose = self.number_ids | self.other_ids
            return self.strings.get(value.lower(), set()) | loose, not loose
        if _is_number(value):
            loose = self.string_ids | self.other_ids
            return self.numbers.get(value, set()) | loose, not loose
        return None  # null, booleans, datetimes: scan

    def prefixed(self, prefix: str) -> tuple[set[int], bool]:
        """Ids whose text may start with `prefix` (lower-case), and whether exactly
        those do (only strings are indexed)."""
        found: set[int] = set()
        keys = self._sorted
        for i in range(bisect.bisect_left(keys, prefix), len(keys)):
            if not keys[i].startswith(prefix):
                break
            found |= self.strings[keys[i]]
        loose = self.number_ids | self.other_ids
        return found | loose, not loose


Selection = tuple[set[int], bool]  # ids, and whether they are exactly the matches


def candidates(node, index_for: Callable[[str], FieldIndex]) -> set[int] | None:
    """Ids that may match `node`, from indexes; None when the tree needs a full scan."""
    found = select(node, index_for)
    return None if found is None else found[0]


def select(node, index_for: Callable[[str], FieldIndex]) -> Selection | None:
    """`candidates`, plus whether they are exactly the matches (then the caller need not
    evaluate them): an OR of exact clauses, where each clause is `=`/`in` a string (or
    number) on a field holding only strings (or numbers), or `like "prefix*"`."""
    if isinstance(node, BoolOp):
        parts = [select(o, index_for) for o in node.operands]
        if node.op == "or":
            if any(p is None for p in parts):
                return None
            return set().union(*(p[0] for p in parts)), all(p[1] for p in parts)
        known = [p for p in parts if p is not None]
        if not known:
            return None
        if len(known) == len(parts) and all(p[1] for p in known):
            return set.intersection(*(p[0] for p in known)), True
        return min((p[0] for p in known), key=len), False
    if isinstance(node, Not) or node.negate:
        return None
    return _compare(node, index_for)


def _indexed(value: Any) -> bool:
    return isinstance(value, str) or _is_number(value)


def _compare(node: Compare, index_for: Callable[[str], FieldIndex]) -> Selection | None:
    # Check the literals first: an index is only built for a field worth one.
    if node.op == "=":
        return index_for(node.field).equal(node.value) if _indexed(node.value) else None
    if node.op == "in":
        if not all(_indexed(v) for v in node.value):
            return None
        index = index_for(node.field)
        parts = [index.equal(v) for v in node.value]
        return set().union(*(p[0] for p in parts)), all(p[1] for p in parts)
    if node.op == "like":
        prefix = like_prefix(node.value)
        if not prefix:
            return None
        ids, exact = index_for(node.field).prefixed(prefix)
        # exact only for "prefix" + wildcards: anything after a wildcard needs the regex
        body = node.value.rstrip("*%")
        return ids, exact and body != node.value and not any(c in "*%" for c in body)
    return None
