"""Reading the keys of a look-back window compactly.

Listing every candidate key (`externalXRef in (...)`) costs one URL character budget per
key: a 62-day window of a daily summary is 62 keys per customer. Keys of one customer and
kind that share a month (daily labels `2026-11-..`) or a decade of weeks (`2026-W4.`)
are instead asked for with one prefix clause, `externalXRef like
"tmrm:hes:ACME:2026-11-%"`; the rest go in an `in (...)` list. Clauses are OR-ed into
requests whose `conditions` stay under a length budget (URLs under ~2,000 characters),
run with the client's bounded concurrency. Answers may include keys just outside the
window; callers keep the ones they asked about.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from reconciler.connectwise import conditions as cond

TICKETS = "/service/tickets"
FIELDS = "id,externalXRef"
CONDITIONS_BUDGET = 1500  # encoded characters of `conditions`, leaving room for the rest
MIN_GROUP = 3  # a prefix clause only pays off from this many keys


def _prefix(label: str) -> str | None:
    """The shared prefix of labels that group well, or None for month labels."""
    if len(label) == 10:  # YYYY-MM-DD -> YYYY-MM-
        return label[:8]
    if len(label) == 8 and label[5] == "W":  # YYYY-Www -> YYYY-Ww
        return label[:7]
    return None


def clauses(keys: Iterable[str]) -> list[str]:
    """Condition clauses that together match every key (and a few more)."""
    groups: dict[str, list[str]] = {}
    exact: list[str] = []
    for key in dict.fromkeys(keys):
        head, _, label = key.rpartition(":")
        prefix = _prefix(label)
        if prefix is None:
            exact.append(key)
        else:
            groups.setdefault(f"{head}:{prefix}", []).append(key)
    out = []
    for stem, members in groups.items():
        if len(members) >= MIN_GROUP:
            out.append(cond.like("externalXRef", f"{stem}%"))
        else:
            exact.extend(members)
    out.extend(cond.eq("externalXRef", key) for key in exact)
    return out


def _encoded(text: str) -> int:
    return len(str(httpx.QueryParams({"c": text}))) - 2


def batches(parts: list[str], budget: int = CONDITIONS_BUDGET) -> list[str]:
    """`or`-joined conditions, each under `budget` encoded characters (a single clause
    longer than the budget still gets a request of its own)."""
    out: list[str] = []
    current: list[str] = []
    for part in parts:
        if current and _encoded(cond.or_(*current, part)) > budget:
            out.append(cond.or_(*current))
            current = []
        current.append(part)
    if current:
        out.append(cond.or_(*current))
    return out


def read_window(client: Any, keys: Iterable[str]) -> dict[str, list[dict]]:
    """Tickets per key for the given keys (lowest id first), in few requests."""
    wanted = set(keys)
    if not wanted:
        return {}
    requests = batches(clauses(sorted(wanted)))

    def fetch(condition: str) -> list[dict]:
        return client.list(TICKETS, conditions=condition, fields=FIELDS)

    mapper = getattr(client, "map_concurrent", None)
    pages = mapper(fetch, requests) if mapper else [fetch(c) for c in requests]
    found: dict[str, dict[int, dict]] = {}
    for ticket in (t for page in pages for t in page):
        key = str(ticket.get("externalXRef") or "")
        if key in wanted:
            found.setdefault(key, {})[int(ticket["id"])] = ticket  # batches may overlap
    return {key: [t[i] for i in sorted(t)] for key, t in found.items()}
