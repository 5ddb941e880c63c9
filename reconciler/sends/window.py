"""Reading the keys of a look-back window compactly.

Listing every candidate key costs one URL character budget per key: a 62-day window of
a daily summary is 62 keys per customer. Keys of one customer and kind that share a
month (daily labels `2026-11-..`) or a decade of weeks (`2026-W4.`) are instead asked
for by their shared prefix (`tmrm:hes:ACME:2026-11-`); the rest one by one. The gateway
packs both into few requests. Answers may include keys just outside the window; only
the keys asked about are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import MalformedRecord, Ticket
from reconciler.domain.fold import fold

MIN_GROUP = 3  # a prefix only pays off from this many keys


def _prefix(label: str) -> str | None:
    """The shared prefix of labels that group well, or None for month labels."""
    if len(label) == 10:  # YYYY-MM-DD -> YYYY-MM-
        return label[:8]
    if len(label) == 8 and label[5] == "W":  # YYYY-Www -> YYYY-Ww
        return label[:7]
    return None


def groups(keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """(prefixes, single keys) that together cover every key (and a few more)."""
    by_prefix: dict[str, list[str]] = {}
    single: list[str] = []
    for key in dict.fromkeys(keys):
        head, _, label = key.rpartition(":")
        prefix = _prefix(label)
        if prefix is None:
            single.append(key)
        else:
            by_prefix.setdefault(f"{head}:{prefix}", []).append(key)
    prefixes = []
    for stem, members in by_prefix.items():
        if len(members) >= MIN_GROUP:
            prefixes.append(stem)
        else:
            single.extend(members)
    return prefixes, single


@dataclass
class WindowRead:
    """Tickets per key asked for (lowest id first), and the keys whose answer held a
    malformed ticket (never to be read as "not sent")."""

    found: dict[str, list[Ticket]] = field(default_factory=dict)
    unreadable: dict[str, MalformedRecord] = field(default_factory=dict)


def read_window(gateway: Gateway, keys: Iterable[str]) -> WindowRead:
    """The tickets of the given keys, in few requests."""
    wanted = set(keys)
    if not wanted:
        return WindowRead()
    prefixes, single = groups(sorted(wanted))
    answer = gateway.tickets(keys=single, key_prefixes=prefixes)
    out = WindowRead()
    for ticket in sorted(answer.records, key=lambda t: t.id):
        if ticket.key in wanted:
            out.found.setdefault(ticket.key, []).append(ticket)
    if answer.malformed:
        for key in wanted:
            problem = answer.problem(key, fold=fold)
            if problem is not None:
                out.unreadable[key] = problem
    return out
