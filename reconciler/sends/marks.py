"""Marks: a period's state, kept in ConnectWise where a send's ticket cannot keep it.

ConnectWise is the only state, and a send's ticket records that it went out. Two things
have no send to record them, so a ticket of their own does (`domain.keys` names them):
- owed (`tmrm:owed-<tag>:ACME:<period>`): a period that is owed and was not sent, when
  nothing else would keep it in view: a period older than the look-back window (missed),
  or a customer's first period that failed (nothing before it was sent, so later runs
  would take it for a period before the customer started). Every later run reads the
  marks and reports the period (exit 1) until it is sent or waived;
- waived (`tmrm:waived-<tag>:ACME:<period>`, `reconciler waive`): someone decided the
  period is not to be sent. A waiver covers its period like a send, so no run sends it,
  reports it, or catches it up, and the decision (who, why) stays on the board.
Marks are written exactly once per key, like sends (`delivery.deliver`).
"""

from __future__ import annotations

from reconciler.config.model import Customer, Fleet
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import NewTicket
from reconciler.domain.keys import OWED, WAIVED, mark_key, send_key
from reconciler.errors import ReconcilerError
from reconciler.schedule import Period, cadences
from reconciler.sends.content import mark_ticket
from reconciler.sends.delivery import Delivery, deliver, read_key
from reconciler.sends.due import canonical_company
from reconciler.sends.model import SendResult
from reconciler.sends.routing import Routing, resolve_routing


def write_mark(gateway: Gateway, routing: Routing, customer: Customer, company: str,
               kind: str, period: Period, *, waived: bool, why: str) -> Delivery:
    """Write one mark (once per key; an existing one is `already_sent`)."""
    key = mark_key(WAIVED if waived else OWED, kind, company, period.label)
    summary, description = mark_ticket(customer, kind, period, key, waived=waived, why=why)
    ticket = NewTicket(key=key, summary=summary, company=company, description=description,
                       board_id=routing.board.id, status_id=routing.status.id,
                       priority_id=routing.priority.id,
                       type_id=routing.type.id if routing.type is not None else None)
    return deliver(gateway, ticket)


def keep_owed(gateway: Gateway, routing: Routing, customer: Customer, company: str,
              kind: str, period: Period, why: str) -> str:
    """Record a period as owed; a note for the run's report (never raises)."""
    try:
        done = write_mark(gateway, routing, customer, company, kind, period, waived=False,
                          why=why)
    except ReconcilerError as exc:
        return (f"could not record it as owed ({exc}); once older than the look-back, "
                "only this run will have said so")
    return f"recorded as owed on ticket #{done.ticket_id}"


def waive(fleet: Fleet, gateway: Gateway, customer: Customer, kind: str, period: Period,
          reason: str, *, dry_run: bool = False) -> SendResult:
    """Record that a customer's period of a kind is not to be sent (`reconciler waive`):
    refused for a period already sent (there is nothing to waive)."""
    if not reason.strip():
        raise ReconcilerError("a waiver needs a --reason (it stays on the ticket)")
    if kind not in {c.kind for c in cadences(customer.policy)}:
        raise ReconcilerError(f"{customer.slug} has no {kind} sends to waive")
    if kind == "billing" and period.frequency != "month":
        raise ReconcilerError(f"billing periods are months (YYYY-MM), not {period.label}")
    company = canonical_company(gateway, customer)
    key = mark_key(WAIVED, kind, company, period.label)
    sent = read_key(gateway, send_key(kind, company, period.label))  # type: ignore[arg-type]

    def result(outcome: str, detail: str) -> SendResult:
        return SendResult(customer.slug, company, kind, period.label, key, outcome,  # type: ignore[arg-type]
                          detail)

    if sent:
        return result("failed", f"already sent on ticket #{sent[0].id}: nothing to waive")
    if dry_run:
        return result("skipped", f"dry run: would waive it: {reason}")
    routing = resolve_routing(gateway, fleet.settings.tickets)
    done = write_mark(gateway, routing, customer, company, kind, period, waived=True,
                      why=reason)
    if done.outcome == "already_sent":
        return result("already_sent", f"waived before: ticket #{done.ticket_id}")
    return result("sent", f"waived: {reason}; ticket #{done.ticket_id}")
