"""`doctor --write-probe`: prove the API member can do what run-due does to tickets.

It writes, on purpose and only when asked: TWO tickets under the company given with
`--probe-company`, routed like every send ticket (`tickets.board`, `.status`, `.priority`,
`.type`), both carrying the probe key `tmrm:probe:<COMPANY>:<UTC minute>` (a key no send
ever reads), as two racing runs would. It reads them back by that key, then settles the
second exactly as run-due settles a race's loser (summary marked
`[duplicate of #<first>]`, moved to a closed status of the board) and closes the first
(moved to that closed status). Nothing is deleted, since the API member has no delete:
both tickets stay on the board, closed; delete them by hand if you like.
Additions are never probed: a probe would touch a customer's billing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.config.model import Fleet
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.permissions import WRITER, grant
from reconciler.connectwise.records import NewTicket
from reconciler.doctor.model import Check
from reconciler.domain.fold import fold
from reconciler.errors import ReconcilerError
from reconciler.sends.routing import resolve_routing

SUMMARY = "reconciler doctor write probe (safe to ignore)"
DESCRIPTION = ("Written by `reconciler doctor --write-probe` to prove that the API member can "
               "create, read back, mark and close tickets. No send reads it.")
TICKETS_ROW, CLOSE_ROW = WRITER[3], WRITER[4]


def probe_key(company: str, at: datetime) -> str:
    return f"tmrm:probe:{company}:{at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def write_probe(gateway: Gateway, fleet: Fleet, company: str, at: datetime) -> list[Check]:
    """Create, read back and settle two probe tickets; one check per step (a failed step
    stops the ones after it)."""
    def fail(step: str, exc: Exception, fix: str) -> list[Check]:
        return [*done, Check(f"connectwise.probe.{step}", "fail", str(exc), fix)]

    done: list[Check] = []
    try:
        found = [c for c in gateway.companies([company]).records
                 if fold(c.identifier) == fold(company) and not c.deleted]
        if not found:
            raise ReconcilerError(f"company {company} does not exist in ConnectWise")
        routing = resolve_routing(gateway, fleet.settings.tickets)
    except ReconcilerError as exc:
        return fail("setup", exc, "--probe-company: a company identifier that exists (e.g. "
                    "your own company's); and the tickets settings checked above")
    key = probe_key(found[0].identifier, at)
    new = NewTicket(key=key, summary=SUMMARY, company=found[0].identifier,
                    description=DESCRIPTION, board_id=routing.board.id,
                    status_id=routing.status.id, priority_id=routing.priority.id,
                    type_id=routing.type.id if routing.type else None)
    try:
        first, second = gateway.create_ticket(new), gateway.create_ticket(new)
    except ReconcilerError as exc:
        return fail("create", exc, grant(TICKETS_ROW, "add"))
    done.append(Check("connectwise.probe.create", "ok",
                      f"created tickets #{first.id} and #{second.id} with key {key}"))
    try:
        read = sorted(t.id for t in gateway.tickets(keys=[key]).records if t.key == key)
        if read != sorted((first.id, second.id)):
            raise ReconcilerError(f"reading key {key} back found tickets {read or 'none'}, "
                                  f"not #{first.id} and #{second.id}")
    except ReconcilerError as exc:
        return fail("read_back", exc, grant(TICKETS_ROW))
    done.append(Check("connectwise.probe.read_back", "ok", f"key {key} reads back both"))
    try:
        settled = gateway.settle_duplicate_ticket(second, first.id)
    except ReconcilerError as exc:
        return fail("settle", exc, f"{grant(TICKETS_ROW, 'edit')}; {grant(CLOSE_ROW, 'edit')}")
    done.append(Check("connectwise.probe.settle", "ok",
                      f"#{second.id} marked as a duplicate of #{first.id} and closed "
                      f"({settled.status}), as run-due settles a race's loser"))
    try:
        closed = gateway.close_ticket(first)
    except ReconcilerError as exc:
        return fail("close", exc, grant(CLOSE_ROW, "edit"))
    done.append(Check("connectwise.probe.close", "ok",
                      f"#{first.id} closed ({closed.status}); nothing was deleted"))
    return done
