"""Exactly-once ticket delivery by idempotency key.

ConnectWise is the only state, and the ticket carrying the key in `externalXRef` is the
commit record of a send. Delivering a key:
1. re-read the key just before POSTing (another run, or an earlier POST whose answer was
   lost, may have sent it);
2. POST the ticket. POST is never blindly repeated: if it fails ambiguously (5xx, dropped
   connection, an answer that is not the ticket) the key is read again; only when no
   ticket carries it is the POST tried again (a bounded number of times);
3. settle races: read every ticket with the key; the lowest id wins. A run whose ticket is
   not the lowest settles its own ticket (`Gateway.settle_duplicate_ticket`: today a
   delete) and reports `already_sent`. Two runs that both saw the key missing therefore
   leave exactly one ticket; if a run dies before settling its duplicate, the next run's
   bulk read finds two tickets for one key and settles all but the lowest
   (`remove_duplicates`).
Billing PATCHes quantities *before* delivering its ticket: the PATCH is idempotent, so a
crash between the two is finished by the next run, which PATCHes the same values again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.connectwise import ConnectWiseError, ServerError, TransportFailed
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import MalformedRecord, NewTicket, Ticket
from reconciler.domain.fold import fold

POST_ATTEMPTS = 3


@dataclass(frozen=True)
class Delivery:
    outcome: str  # sent | already_sent
    ticket_id: int | None
    note: str = ""


def read_key(gateway: Gateway, key: str) -> list[Ticket]:
    """Tickets carrying `key` (compared as ConnectWise compares it), lowest id first; a
    malformed ticket among them raises its MalformedRecord (never "not sent")."""
    found = gateway.tickets(keys=[key])
    problem = found.problem(key, fold=fold)
    if problem is not None:
        raise problem
    return sorted((t for t in found.records if fold(t.key) == fold(key)), key=lambda t: t.id)


def remove_duplicates(gateway: Gateway, found: Mapping[str, Sequence[Ticket]]) -> dict[str, str]:
    """Settle every ticket but the lowest id of each key (left by a run that died
    between POST and settling); returns a note per key that had duplicates."""
    notes = {}
    for key, tickets in sorted(found.items()):
        removed = []
        for extra in tickets[1:]:
            gateway.settle_duplicate_ticket(extra.id)
            removed.append(f"#{extra.id}")
        if removed:
            notes[key] = f"removed duplicate ticket {', '.join(removed)}"
    return notes


def deliver(gateway: Gateway, ticket: NewTicket, *, just_checked: bool = False) -> Delivery:
    """Create `ticket` unless one with its key exists; exactly one ticket survives.
    `just_checked`: the caller read the key a moment ago (billing, before its PATCHes)."""
    key = ticket.key
    existing = [] if just_checked else read_key(gateway, key)
    if existing:
        return Delivery("already_sent", existing[0].id)
    mine: int | None = None
    for attempt in range(1, POST_ATTEMPTS + 1):
        try:
            mine = gateway.create_ticket(ticket).id
            break
        except (ServerError, TransportFailed, MalformedRecord):
            # Ambiguous (a nonsense answer too): the ticket may exist. Only the key tells.
            if read_key(gateway, key):
                break
            if attempt == POST_ATTEMPTS:
                raise
    tickets = read_key(gateway, key)
    if not tickets:
        raise ConnectWiseError(None, "", f"the ticket for {key} was created but cannot be "
                               "read back", (), "GET", "/service/tickets")
    winner = tickets[0].id
    if mine is not None and mine != winner:
        gateway.settle_duplicate_ticket(mine)
        return Delivery("already_sent", winner, f"another run sent it first (ticket #{winner})")
    return Delivery("sent", winner)
