"""How a settled duplicate ticket looks in ConnectWise (contract 4): written and read here.

Two racing runs may both create a ticket for one key; the lowest ticket id wins. The API
member's role has no ticket delete (README, "The API member's security role"), so the
loser is settled by PATCH, in two steps that each need only what the role grants:
1. marked: its summary starts with `[duplicate of #<winner>]` (Service Tickets, Edit);
2. closed: its status becomes a closed status of its board (Close Service Tickets).
Its `externalXRef` keeps the key on purpose: the next run's exact key read finds it
again and finishes a settlement left half done (marked but still open).

A ticket merged into another by hand (ConnectWise's Merge Tickets sets
`mergedParentTicket` on the merged one) counts as settled too: that is how a person
settles duplicates in ConnectWise's own screens.
"""

from __future__ import annotations

import re

from reconciler.errors import ReconcilerError

# ConnectWise's ticket summary holds at most 100 characters (OpenAPI document,
# reference/connectwise-api.md); the sandbox refuses longer ones.
SUMMARY_MAX = 100
_MARK = re.compile(r"^\s*\[duplicate of #(\d+)\]\s*", re.IGNORECASE)
_TRAILING_TAG = re.compile(r" \[[^\[\]]*\]$")  # e.g. contract 1's ` [r:<digest>]`


class CannotSettle(ReconcilerError):
    """A duplicate ticket cannot be settled as ConnectWise is set up (e.g. its board has
    no closed status)."""


def marked_winner(summary: str) -> int | None:
    """The winner a marked summary names, or None for an unmarked one."""
    match = _MARK.match(summary or "")
    return int(match.group(1)) if match else None


def marked_summary(summary: str, winner: int) -> str:
    """`summary` marked as a duplicate of ticket `winner`, within 100 characters: the
    human text is cut, never the mark, and a trailing bracketed tag is kept when it fits."""
    prefix = f"[duplicate of #{int(winner)}] "
    rest = _MARK.sub("", summary or "", count=1).strip()
    if len(prefix) + len(rest) <= SUMMARY_MAX:
        return prefix + rest
    tag_match = _TRAILING_TAG.search(rest)
    tag = tag_match.group(0) if tag_match else ""
    room = SUMMARY_MAX - len(prefix) - len(tag)
    if room < 0:
        return (prefix + rest)[:SUMMARY_MAX].rstrip()
    human = rest[: len(rest) - len(tag)][:room].rstrip()
    return (prefix + human + tag)[:SUMMARY_MAX]
