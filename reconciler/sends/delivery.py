"""Exactly-once ticket delivery by idempotency key.

ConnectWise is the only state, and the ticket carrying the key in `externalXRef` is the
commit record of a send. Delivering a key:
1. re-read the key just before POSTing (another run, or an earlier POST whose answer was
   lost, may have sent it);
2. POST the ticket. POST is never blindly repeated: if it fails ambiguously (5xx, dropped
   connection) the key is read again; only when no ticket carries it is the POST tried
   again (a bounded number of times);
3. settle races: read every ticket with the key; the lowest id wins. A run whose ticket is
   not the lowest deletes its own ticket and reports `already_sent`. Two runs that both
   saw the key missing therefore leave exactly one ticket; if a run dies before deleting
   its duplicate, the next run's bulk read finds two tickets for one key and removes all
   but the lowest (`remove_duplicates`).
Billing PATCHes quantities *before* delivering its ticket: the PATCH is idempotent, so a
crash between the two is finished by the next run, which PATCHes the same values again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.connectwise import ConnectWiseError, NotFound, ServerError, TransportFailed
from reconciler.connectwise import conditions as cond

TICKETS = "/service/tickets"
KEY_FIELDS = "id,externalXRef,summary,company/identifier"
POST_ATTEMPTS = 3


@dataclass(frozen=True)
class Delivery:
    outcome: str  # sent | already_sent
    ticket_id: int | None
    note: str = ""


def read_key(client: Any, key: str) -> list[dict]:
    """Tickets carrying `key`, lowest id first."""
    found = client.list(TICKETS, conditions=cond.eq("externalXRef", key), fields="id,externalXRef")
    return sorted(found, key=lambda t: int(t["id"]))


def read_keys(client: Any, keys: Iterable[str]) -> dict[str, list[dict]]:
    """Tickets per key for many keys, in chunked bulk requests (lowest id first)."""
    found: dict[str, list[dict]] = {}
    for ticket in client.list_in(TICKETS, "externalXRef", sorted(set(keys)), fields=KEY_FIELDS):
        found.setdefault(str(ticket.get("externalXRef")), []).append(ticket)
    for tickets in found.values():
        tickets.sort(key=lambda t: int(t["id"]))
    return found


def remove_duplicates(client: Any, found: Mapping[str, list[dict]]) -> dict[str, str]:
    """Delete every ticket but the lowest id of each key (left by a run that died
    between POST and settling); returns a note per key that had duplicates."""
    notes = {}
    for key, tickets in sorted(found.items()):
        removed = []
        for extra in tickets[1:]:
            with contextlib.suppress(NotFound):  # another run removed it first
                client.delete(f"{TICKETS}/{int(extra['id'])}")
            removed.append(f"#{extra['id']}")
        if removed:
            notes[key] = f"removed duplicate ticket {', '.join(removed)}"
    return notes


def deliver(client: Any, key: str, body: dict, *, just_checked: bool = False) -> Delivery:
    """Create the ticket for `key` unless one exists; exactly one ticket survives.
    `just_checked`: the caller read the key a moment ago (billing, before its PATCHes)."""
    existing = [] if just_checked else read_key(client, key)
    if existing:
        return Delivery("already_sent", int(existing[0]["id"]))
    mine: int | None = None
    for attempt in range(1, POST_ATTEMPTS + 1):
        try:
            created = client.post(TICKETS, {**body, "externalXRef": key})
            mine = int(created["id"])
            break
        except (ServerError, TransportFailed):
            # Ambiguous: the ticket may exist. Only the key tells.
            if read_key(client, key):
                break
            if attempt == POST_ATTEMPTS:
                raise
    tickets = read_key(client, key)
    if not tickets:
        raise ConnectWiseError(None, "", f"the ticket for {key} was created but cannot be "
                               "read back", (), "GET", TICKETS)
    winner = int(tickets[0]["id"])
    if mine is not None and mine != winner:
        with contextlib.suppress(NotFound):
            client.delete(f"{TICKETS}/{mine}")
        return Delivery("already_sent", winner, f"another run sent it first (ticket #{winner})")
    return Delivery("sent", winner)

