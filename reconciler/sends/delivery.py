"""Exactly-once ticket delivery by idempotency key.

ConnectWise is the only state, and the ticket carrying the key in `externalXRef` is the
commit record of a send. Delivering a key:
1. re-read the key just before POSTing (another run, or an earlier POST whose answer was
   lost, may have sent it);
2. POST the ticket. POST is never blindly repeated: if it fails ambiguously (5xx, dropped
   connection, an answer that is not the ticket) the key is read again; only when no
   ticket carries it is the POST tried again (a bounded number of times);
3. settle races: read every ticket with the key; the lowest id wins (`settle.record_of`).
   A run whose ticket is not the winner settles its own ticket (marked as a duplicate and
   closed by PATCH, `settle.settle`) and reports `already_sent`. Two runs that both saw
   the key missing therefore leave exactly one ticket that counts; if a run dies before
   settling, or settling is refused (a warning, never a failed send), the next run's bulk
   read finds the unsettled loser and settles it.
Billing PATCHes quantities *before* delivering its ticket: the PATCH is idempotent, so a
crash between the two is finished by the next run, which PATCHes the same values again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reconciler.connectwise import ConnectWiseError, ServerError, TransportFailed
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import MalformedRecord, NewTicket, Ticket
from reconciler.domain.fold import fold
from reconciler.sends.settle import record_of, settle

POST_ATTEMPTS = 3


@dataclass(frozen=True)
class Delivery:
    outcome: str  # sent | already_sent
    ticket_id: int | None
    note: str = ""
    warnings: tuple[str, ...] = ()  # duplicates that could not be settled (the send is done)


def read_key(gateway: Gateway, key: str) -> list[Ticket]:
    """Tickets carrying `key` (compared as ConnectWise compares it), lowest id first,
    settled duplicates included (`settle.record_of` says which one counts); a malformed
    ticket among them raises its MalformedRecord (never "not sent")."""
    found = gateway.tickets(keys=[key])
    problem = found.problem(key, fold=fold)
    if problem is not None:
        raise problem
    return sorted((t for t in found.records if fold(t.key) == fold(key)), key=lambda t: t.id)


def deliver(gateway: Gateway, ticket: NewTicket, *, just_checked: bool = False,
            read: Callable[[], Sequence[Ticket]] | None = None) -> Delivery:
    """Create `ticket` unless one with its key exists; exactly one ticket survives.
    `just_checked`: the caller read the key a moment ago (billing, before its PATCHes).
    `read`: how to read the key back (tickets that include the key's; billing reads all
    of the company's billing tickets, which it needs next anyway), default `read_key`."""
    key = ticket.key

    def read_key_back() -> list[Ticket]:
        if read is None:
            return read_key(gateway, key)
        return sorted((t for t in read() if fold(t.key) == fold(key)), key=lambda t: t.id)

    existing = record_of([] if just_checked else read_key(gateway, key))
    if existing is not None:
        return Delivery("already_sent", existing.id)
    mine: int | None = None
    for attempt in range(1, POST_ATTEMPTS + 1):
        try:
            mine = gateway.create_ticket(ticket).id
            break
        except (ServerError, TransportFailed, MalformedRecord):
            # Ambiguous (a nonsense answer too): the ticket may exist. Only the key tells.
            if read_key_back():
                break
            if attempt == POST_ATTEMPTS:
                raise
    tickets = read_key_back()
    if not tickets:
        raise ConnectWiseError(None, "", f"the ticket for {key} was created but cannot be "
                               "read back", (), "GET", "/service/tickets")
    winner = record_of(tickets)
    assert winner is not None  # tickets is not empty
    if mine is not None and mine != winner.id:
        own = [t for t in tickets if t.id == mine]  # not listed yet: the next run settles it
        settlement = settle(gateway, key, [winner, *own])
        return Delivery("already_sent", winner.id,
                        f"another run sent it first (ticket #{winner.id})", settlement.warnings)
    return Delivery("sent", winner.id)
