"""What a send records, readable back exactly (contract 1): the one module that builds and
parses records and their digests; nobody else formats them.

A send's ticket keeps its human table in `initialDescription` and ends with one machine
line, e.g.
    reconciler-record: {"key":"tmrm:billing:ACME:2026-11","units":{"apex-one":38},"v":1}
in canonical JSON (sorted keys, no spaces, integral numbers as ints). Its `summary` ends
with ` [r:<digest>]`, the first 12 hex characters of the SHA-256 of that JSON text: the
summary can be read in bulk, the description cannot, so readers (plan, run-due, audit)
compare digests and read the note only on a mismatch. Tickets sent before this format
carry no tag: their record is unknown (read the note; no record line means unknown,
never a guess).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

SUMMARY_MAX = 100  # ConnectWise's limit on ticket summaries (connectwise-api.md)
VERSION = 1
LINE_PREFIX = "reconciler-record: "
DIGEST_CHARS = 12
_TAG = re.compile(r" \[r:([0-9a-f]{12})\]$")

Record = dict[str, Any]


def _number(value: float | int) -> int | float:
    """Integral numbers as ints (38.0 -> 38), so one value has one canonical text."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a quantity")
    return int(value) if float(value).is_integer() else float(value)


def billing_record(key: str, units: Mapping[str, float | int]) -> Record:
    """The record of a billing send: billed units per product key."""
    return {"v": VERSION, "key": key, "units": {p: _number(u) for p, u in units.items()}}


def summary_record(key: str, detections: Iterable[str], counts: Mapping[str, int]) -> Record:
    """The record of a detection summary: the count of every selected detection (zero
    included, as the ticket's table lists it)."""
    return {"v": VERSION, "key": key,
            "counts": {d: _number(counts.get(d, 0)) for d in detections}}


def canonical(record: Mapping[str, Any]) -> str:
    """The one text of a record that digests are taken over."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(record: Mapping[str, Any]) -> str:
    """First 12 hex characters of SHA-256 over the canonical JSON text."""
    return hashlib.sha256(canonical(record).encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def record_line(record: Mapping[str, Any]) -> str:
    """The machine line that ends a ticket's initialDescription."""
    return LINE_PREFIX + canonical(record)


def tagged_summary(human: str, record: Mapping[str, Any]) -> str:
    """A ticket summary under ConnectWise's limit ending in the record's tag: the human
    part is cut to fit, never the tag."""
    tag = f" [r:{digest(record)}]"
    room = SUMMARY_MAX - len(tag)
    text = human if len(human) <= room else human[: room - 1] + "…"
    return text + tag


def summary_digest(summary: str | None) -> str | None:
    """The digest tag at the end of a ticket summary, or None (a ticket from before)."""
    match = _TAG.search(summary or "")
    return match[1] if match else None


def parse_record(text: str | None) -> Record | None:
    """The record on the last `reconciler-record:` line of a note, or None when there is
    none or it is not a well-formed record of a version we know."""
    found = None
    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith(LINE_PREFIX):
            found = line[len(LINE_PREFIX):]
    if found is None:
        return None
    try:
        record = json.loads(found)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or record.get("v") != VERSION:
        return None
    if not isinstance(record.get("key"), str):
        return None
    body = record.get("units", record.get("counts"))
    if not isinstance(body, dict) or not all(
        isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
        and v >= 0 for k, v in body.items()
    ):
        return None
    return record
