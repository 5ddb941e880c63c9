"""Duplicate tickets of one key: which one records the send, and settling the others.

Two runs that both found a key unsent may both create its ticket. The lowest ticket id
wins; the others are settled through `Gateway.settle_duplicate_ticket` (marked as a
duplicate of the winner and closed, by PATCH: the API member's role has no ticket
delete). Settling is housekeeping, never part of the send: a failure (a 403 from a role
without Close Service Tickets, a board without a closed status, an outage) becomes a
warning for that key, and the next run that reads the key tries again, since a loser
keeps its key until it is settled.

Every reader of keys asks `record_of` (`domain.keys`: billing's readers below the sends
need it too) which ticket counts, so settled losers never
count twice, never count as the record and are not settled again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Ticket
from reconciler.domain.keys import record_of
from reconciler.errors import ReconcilerError

# What to do when a settlement fails, in a warning's words.
REMEDY = ("close it by hand (it is ignored meanwhile), or give the API member's security role "
          "Service Desk > Service Tickets Edit and Service Desk > Close Service Tickets Edit "
          "(README: the API member's security role); the next run tries again")


def settled(ticket: Ticket) -> bool:
    """Marked as a duplicate and closed: nothing left to do."""
    return ticket.duplicate_of is not None and ticket.closed


def losers(tickets: Sequence[Ticket]) -> list[Ticket]:
    """The tickets of one key still to settle (every one but the record, unless settled)."""
    record = record_of(tickets)
    return [t for t in sorted(tickets, key=lambda t: t.id)
            if t is not record and not settled(t)]


@dataclass(frozen=True)
class Settlement:
    """What settling one key's duplicates did: a note for the send's row, and a warning
    per duplicate that could not be settled."""

    note: str = ""
    warnings: tuple[str, ...] = ()


def settle(gateway: Gateway, key: str, tickets: Sequence[Ticket]) -> Settlement:
    """Settle every loser of `key` against its record; never raises ReconcilerError."""
    record = record_of(tickets)
    done: list[str] = []
    warnings: list[str] = []
    for loser in losers(tickets):
        assert record is not None  # a loser implies a record
        winner = loser.duplicate_of or record.id
        try:
            gateway.settle_duplicate_ticket(loser, winner)
        except ReconcilerError as exc:
            warnings.append(f"duplicate ticket #{loser.id} of {key} (the send is ticket "
                            f"#{winner}) is not settled: {exc}. To settle it: {REMEDY}")
            continue
        done.append(f"#{loser.id} (a duplicate of #{winner}, now closed)")
    note = f"settled duplicate ticket {', '.join(done)}" if done else ""
    return Settlement(note, tuple(warnings))
