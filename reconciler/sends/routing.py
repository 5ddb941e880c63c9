"""Where send tickets go: the `tickets` settings' names resolved to ConnectWise ids.

Resolved once per run with four small reads (the boards, then its statuses and types,
and the priorities), so a typo in reconciler.yaml is one clear error before anything is
sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.config.model import TicketSettings
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Ref
from reconciler.domain.fold import fold
from reconciler.errors import ReconcilerError


class RoutingError(ReconcilerError):
    """A ticket board, status, priority or type named in reconciler.yaml does not exist."""


@dataclass(frozen=True)
class Routing:
    board: Ref
    status: Ref
    priority: Ref
    type: Ref | None


def pick(refs: list[Ref], name: str, what: str) -> Ref:
    """The ref named `name` (compared as ConnectWise compares names); RoutingError listing
    the names there are."""
    matches = [r for r in refs if fold(r.name) == fold(name)]
    if not matches:
        known = ", ".join(sorted(r.name for r in refs)) or "none"
        raise RoutingError(f"tickets: {what} {name!r} not found in ConnectWise (have: {known})")
    return matches[0]


def resolve_routing(gateway: Gateway, tickets: TicketSettings) -> Routing:
    """The ids of the configured board, status, priority and type."""
    # all boards (a site has a handful): a typo then lists the real names
    board = pick(gateway.boards(), tickets.board, "board")
    status = pick(gateway.board_statuses(board.id), tickets.status,
                   f"status on board {tickets.board!r}:")
    priority = pick(gateway.priorities(), tickets.priority, "priority")
    ticket_type = None
    if tickets.type:
        ticket_type = pick(gateway.board_types(board.id), tickets.type,
                            f"type on board {tickets.board!r}:")
    return Routing(board, status, priority, ticket_type)
