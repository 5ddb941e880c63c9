"""Where send tickets go: the `tickets` settings' names resolved to ConnectWise ids.

Resolved once per run with four small reads (the boards, then its statuses and types,
and the priorities), so a typo in reconciler.yaml is one clear error before anything is
sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.config.model import TicketSettings
from reconciler.errors import ReconcilerError


class RoutingError(ReconcilerError):
    """A ticket board, status, priority or type named in reconciler.yaml does not exist."""


@dataclass(frozen=True)
class Routing:
    board: dict
    status: dict
    priority: dict
    type: dict | None

    def fields(self) -> dict[str, Any]:
        """Ticket fields for a POST body."""
        body: dict[str, Any] = {
            "board": {"id": self.board["id"]},
            "status": {"id": self.status["id"]},
            "priority": {"id": self.priority["id"]},
        }
        if self.type is not None:
            body["type"] = {"id": self.type["id"]}
        return body


def _fold(text: Any) -> str:
    return str(text or "").strip().casefold()


def _pick(records: list[dict], name: str, what: str) -> dict:
    matches = [r for r in records if _fold(r.get("name")) == _fold(name)]
    if not matches:
        known = ", ".join(sorted(str(r.get("name")) for r in records)) or "none"
        raise RoutingError(f"tickets: {what} {name!r} not found in ConnectWise (have: {known})")
    return {"id": matches[0]["id"], "name": matches[0].get("name")}


def resolve_routing(client: Any, tickets: TicketSettings) -> Routing:
    """The ids of the configured board, status, priority and type."""
    # all boards (a site has a handful): a typo then lists the real names
    boards = client.list("/service/boards", fields="id,name")
    board = _pick(boards, tickets.board, "board")
    statuses = client.list(f"/service/boards/{int(board['id'])}/statuses", fields="id,name")
    status = _pick(statuses, tickets.status, f"status on board {tickets.board!r}:")
    priorities = client.list("/service/priorities", fields="id,name")
    priority = _pick(priorities, tickets.priority, "priority")
    ticket_type = None
    if tickets.type:
        types = client.list(f"/service/boards/{int(board['id'])}/types", fields="id,name")
        ticket_type = _pick(types, tickets.type, f"type on board {tickets.board!r}:")
    return Routing(board, status, priority, ticket_type)
