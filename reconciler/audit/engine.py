"""The audit engine: facts in, rows and findings out (pure: no git, no HTTP, no clock).

For every customer, send kind and period starting in range it joins what was due
(`expect`) with the tickets carrying its key:
- sent on time, sent late, missed (past the grace), pending (not yet past it);
- a second ticket for one key: settled (marked `duplicate_of`) or not;
- a ticket sent while the policy in force at that moment had the send off (or the
  customer disabled, or absent), or for a period that was not due;
- its record against the source: the expected record is built from the source and the
  policy in force when it was sent; equal digests end the check, otherwise the note is
  read (on demand) and each product's units or each detection's count is compared
  (billed quantity or counts differing from the source's, a product the policy did not
  bill, a record or a source row that is missing);
- per customer, each managed addition's quantity against the latest billing's units
  (changed outside the tool since).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from reconciler.audit.expect import Audited, Expected, customers_of, expected_sends, policy_at
from reconciler.audit.facts import AuditFacts, AuditScope, PolicyAt, SentTicket, UsageFact
from reconciler.audit.model import (
    AuditReport,
    CustomerAudit,
    Finding,
    PolicyChangeRow,
    Row,
    Status,
    severity_of,
)
from reconciler.config.model import Customer
from reconciler.domain import records
from reconciler.domain.billed import billed_month
from reconciler.domain.fold import fold
from reconciler.domain.keys import NOW_TAG, TAG_KINDS, WAIVED, parse_key
from reconciler.schedule import KINDS, Period, ScheduleError, zone
from reconciler.schedule.coverage import Coverage
from reconciler.sources import format_units


@dataclass
class _Slot:
    """Everything known about one (company, kind, period)."""

    kind: str
    label: str
    period: Period | None
    expected: Expected | None = None
    tickets: list[SentTicket] = field(default_factory=list)
    waiver: SentTicket | None = None  # a `reconciler waive` mark for this period


def audit(facts: AuditFacts, scope: AuditScope) -> AuditReport:
    """The audit of `scope` over `facts`."""
    who = customers_of(facts.timeline, scope.customers)
    expected = expected_sends(facts.timeline, scope.start, scope.end, scope.now)
    slots: dict[tuple[str, str, str], _Slot] = {}
    for k, exp in expected.items():
        if k[0] in who:
            slots[k] = _Slot(exp.kind, exp.period.label, exp.period, expected=exp)
    billing_tickets: dict[str, list[tuple[Period, SentTicket]]] = {}  # all, for additions
    covered: dict[tuple[str, str], list[Period]] = {}  # (company, kind) -> sent or waived
    tz = zone(facts.timeline[-1].timezone if facts.timeline else "UTC")
    for ticket in sorted(facts.tickets, key=lambda t: t.id):
        parsed = parse_key(ticket.key)
        if parsed is None or fold(parsed.company) not in who or ticket.created > scope.now:
            continue  # not ours, not selected, or entered after the instant audited
        company = fold(parsed.company)
        if parsed.mark is not None:  # owed marks are run-due's; a waiver is a decision
            if parsed.mark == WAIVED and parsed.kind and ticket.duplicate_of is None:
                _waiver(slots, covered, company, parsed.kind, parsed.label, ticket, scope)
            continue
        kind = NOW_TAG if parsed.tag == NOW_TAG else TAG_KINDS.get(parsed.tag)
        if kind is None:
            continue
        period = None
        if kind != NOW_TAG:
            try:
                period = Period.parse(parsed.label)
            except ScheduleError:
                continue  # not one of ours after all
            if ticket.duplicate_of is None:
                covered.setdefault((company, kind), []).append(period)
            if kind == "billing" and ticket.duplicate_of is None:
                billing_tickets.setdefault(company, []).append((period, ticket))
            if not scope.start <= period.start <= scope.end:
                continue
        else:
            billed = billed_month(ticket.key, tz)  # a send now bills a month too
            if billed is not None and ticket.duplicate_of is None:
                covered.setdefault((company, "billing"), []).append(billed)
            if not scope.start <= ticket.created.date() <= scope.end:
                continue
        k = (company, kind, parsed.label)
        slots.setdefault(k, _Slot(kind, parsed.label, period)).tickets.append(ticket)

    checker = _Checker(facts, scope, {k: Coverage(v) for k, v in covered.items()})
    rows: dict[str, list[Row]] = {c: [] for c in who}
    for (company, _, _), slot in slots.items():
        rows[company].append(checker.row(who[company], slot))
    extra = {
        c: checker.additions(who[c], billing_tickets.get(c, []), rows[c]) for c in who
    }
    customers = []
    for company, person in sorted(who.items(), key=lambda kv: kv[1].slug):
        these = sorted(rows[company], key=_row_order)
        these = _attach(these, extra[company])
        products = sorted({p for r in these for p in (*r.units, *r.source_units)})
        changes = tuple(
            PolicyChangeRow(c.commit, c.date, c.author, c.subject, c.sentences)
            for c in facts.changes if fold(c.company) == company
        )
        findings = tuple(f for r in these for f in r.findings)
        customers.append(CustomerAudit(person.slug, person.name, person.company,
                                       tuple(products), tuple(these), changes, findings))
    notes = (*facts.notes, *checker.notes)
    timezone = facts.timeline[-1].timezone if facts.timeline else "UTC"
    return AuditReport(scope.start, scope.end, scope.now, tuple(customers), tuple(notes),
                       timezone)


def _waiver(slots: dict, covered: dict, company: str, kind: str, label: str,
            ticket: SentTicket, scope: AuditScope) -> None:
    """A waiver covers its period like a send (run-due neither sends nor reports it)."""
    try:
        period = Period.parse(label)
    except ScheduleError:
        return
    covered.setdefault((company, kind), []).append(period)
    if scope.start <= period.start <= scope.end:
        slot = slots.setdefault((company, kind, label), _Slot(kind, label, period))
        slot.waiver = slot.waiver or ticket


def _row_order(row: Row) -> tuple:
    kinds = (*KINDS, NOW_TAG)
    return (kinds.index(row.send), row.period)


def _attach(rows: list[Row], extra: Mapping[str, list[Finding]]) -> list[Row]:
    """Addition findings go on the row of the billing they are judged against."""
    out = []
    for row in rows:
        more = extra.get(row.period, []) if row.send == "billing" else []
        out.append(replace(row, findings=row.findings + tuple(more)) if more else row)
    return out


def _units(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


class _Checker:
    """Builds rows; holds the facts, the usage index and notes about what it skipped."""

    def __init__(self, facts: AuditFacts, scope: AuditScope,
                 coverage: Mapping[tuple[str, str], Coverage]):
        self.facts = facts
        self.scope = scope
        self.coverage = coverage
        self.grace = timedelta(hours=scope.grace_hours)
        self.usage: dict[tuple[str, str, str], UsageFact] = {
            (u.customer_id, u.product, u.month): u for u in facts.usage
        }
        self.notes: list[str] = []
        self._records: dict[int, dict | None] = {}

    # -- one period ------------------------------------------------------------------
    def row(self, who: Audited, slot: _Slot) -> Row:
        tickets = slot.tickets
        winner = next((t for t in tickets if t.duplicate_of is None), None)
        exp = slot.expected
        base = Row(who.slug, who.company, slot.kind, slot.label, "not_due",
                   due=exp.due if exp else None,
                   commit=exp.policy.commit if exp else None)
        findings: list[Finding] = []

        def finding(kind: str, message: str, **where) -> None:
            findings.append(Finding(kind, severity_of(kind, slot.kind), who.slug, who.company,
                                    slot.kind, slot.label, message, **where))

        findings += self._duplicates(who, slot, winner)
        if winner is None and slot.waiver is not None:
            finding("waived", f"not to be sent: waived on ticket #{slot.waiver.id} "
                    f"({_when(slot.waiver.created)}; the ticket says who and why)",
                    ticket=slot.waiver.id)
            return replace(base, status="waived", ticket=slot.waiver.id,
                           duplicates=tuple(t.id for t in tickets), findings=tuple(findings))
        if winner is None and exp is not None and self._covered(who, slot):
            return replace(base, status="covered", duplicates=tuple(t.id for t in tickets),
                           findings=tuple(findings))
        if winner is None:
            status = self._unsent(exp, finding)
            return replace(base, status=status, duplicates=tuple(t.id for t in tickets),
                           findings=tuple(findings))
        in_force = policy_at(self.facts.timeline, winner.created)
        customer = in_force.customer(who.company) if in_force else None
        status = self._timing(slot, winner, exp, in_force, customer, finding)
        units: Mapping[str, float] = {}
        source: Mapping[str, float] = {}
        if status in ("on_time", "late") and customer is not None and slot.period:
            if slot.kind == "billing":
                units, source = self._billing(who, slot, winner, in_force, customer, finding)
            else:
                self._summary(who, slot, winner, in_force, customer, finding)
        return replace(
            base, status=status, sent=winner.created, ticket=winner.id,
            duplicates=tuple(t.id for t in tickets if t is not winner),
            commit=base.commit or (in_force.commit if in_force else None),
            units=units, source_units=source, findings=tuple(findings))

    def _covered(self, who: Audited, slot: _Slot) -> bool:
        """Whether other sends of the kind (any frequency, spans, a send now) or waivers
        cover every day of the period: run-due's catch-up by coverage sends it no more."""
        coverage = self.coverage.get((fold(who.company), slot.kind))
        period = slot.period
        return bool(coverage) and period is not None and all(
            coverage.covers(period.start + timedelta(days=d))
            for d in range((period.end - period.start).days + 1))

    def _unsent(self, exp: Expected | None, finding) -> Status:
        if exp is None:
            return "not_due"
        if self.scope.now < exp.expected_at + self.grace:
            return "pending"
        finding("missed", f"due {_when(exp.due)} under the policy of commit "
                f"{exp.policy.commit[:7]}, never sent", commit=exp.policy.commit)
        return "missed"

    def _duplicates(self, who: Audited, slot: _Slot, winner: SentTicket | None) -> list[Finding]:
        out = []
        for t in slot.tickets:
            if t is winner:
                continue
            settled = t.duplicate_of is not None
            kind = "settled_duplicate" if settled else "unsettled_duplicate"
            text = (f"ticket #{t.id} duplicates #{t.duplicate_of} (settled)" if settled else
                    f"ticket #{t.id} carries the same key as #{winner.id if winner else '?'} "
                    "and is not settled")
            out.append(Finding(kind, severity_of(kind, slot.kind), who.slug, who.company,
                               slot.kind, slot.label, text, ticket=t.id))
        return out

    def _timing(self, slot: _Slot, ticket: SentTicket, exp: Expected | None,
                in_force: PolicyAt | None, customer: Customer | None, finding) -> Status:
        off = _why_off(slot.kind, in_force, customer)
        where = {"ticket": ticket.id, "commit": in_force.commit if in_force else None}
        if off:
            finding("sent_while_disabled", f"ticket #{ticket.id} sent {_when(ticket.created)} "
                    f"while {off}", **where)
            return "disabled"
        if slot.kind == NOW_TAG:
            return "sent_now"
        if slot.period is not None and slot.period.frequency == "span":
            return "partial"  # the uncovered days of a period, after a frequency change
        if exp is None or ticket.created < exp.due - self.grace:
            due = f" (due {_when(exp.due)})" if exp else ""
            finding("sent_not_due", f"ticket #{ticket.id} sent {_when(ticket.created)} for a "
                    f"period that was not due under the policy of the time{due}", **where)
            return "not_due"
        if ticket.created > exp.expected_at + self.grace:
            late = ticket.created - exp.expected_at
            finding("late", f"ticket #{ticket.id} sent {_when(ticket.created)}, "
                    f"{_span(late)} after it was due ({_when(exp.expected_at)})",
                    ticket=ticket.id, commit=exp.policy.commit)
            return "late"
        return "on_time"

    # -- records ---------------------------------------------------------------------
    def _record(self, ticket: SentTicket, expected: dict | None) -> dict | None:
        """The ticket's record: the expected one when the digests agree, else its note."""
        if expected is not None and ticket.summary_digest == records.digest(expected):
            return expected
        if ticket.id not in self._records:
            self._records[ticket.id] = records.parse_record(self.facts.on_demand.note(ticket))
        return self._records[ticket.id]

    def _source_units(self, customer: Customer, products: Iterable[str], month: str
                      ) -> tuple[dict[str, float], dict[str, UsageFact]]:
        found = {p: self.usage.get((customer.trend_micro_id, p, month)) for p in products}
        facts = {p: u for p, u in found.items() if u is not None}
        return {p: u.units for p, u in facts.items()}, facts

    def _billing(self, who: Audited, slot: _Slot, ticket: SentTicket, in_force: PolicyAt,
                 customer: Customer, finding) -> tuple[Mapping[str, float], Mapping[str, float]]:
        products = customer.billed_products
        source, rows = self._source_units(customer, products, slot.label)
        key = ticket.key
        complete = len(source) == len(products)
        expected = records.billing_record(key, source) if complete else None
        record = self._record(ticket, expected)
        where = {"ticket": ticket.id, "commit": in_force.commit}
        if record is None or "units" not in record or fold(record["key"]) != fold(key):
            finding("unverified", f"ticket #{ticket.id} carries no readable record of its "
                    "units (sent before records, or edited): billed quantities unknown", **where)
            return {}, source
        billed: dict[str, float] = record["units"]
        for product in sorted(set(billed) | set(products)):
            fact = rows.get(product)
            origin = {"source": fact.origin} if fact else {}
            if product not in products:
                finding("product_not_billed", f"ticket #{ticket.id} billed {product} "
                        f"({format_units(billed[product])} units) but the policy of commit "
                        f"{in_force.commit[:7]} did not bill it", **where)
            elif fact is None:
                why = self.facts.usage_errors.get(slot.label)
                finding("unverified", f"the usage source has no {product} units for "
                        f"{slot.label}" + (f" ({why})" if why else "") +
                        f"; ticket #{ticket.id} billed "
                        f"{format_units(billed[product]) if product in billed else 'none'}",
                        **where)
            elif product not in billed:
                finding("quantity_mismatch", f"ticket #{ticket.id} billed no {product}; the "
                        f"source reports {format_units(fact.units)} for {slot.label}",
                        **where, **origin)
            elif _units(billed[product]) != _units(fact.units):
                finding("quantity_mismatch", f"ticket #{ticket.id} billed "
                        f"{format_units(billed[product])} {product}; the source reports "
                        f"{format_units(fact.units)} for {slot.label}", **where, **origin)
        return billed, source

    def _summary(self, who: Audited, slot: _Slot, ticket: SentTicket, in_force: PolicyAt,
                 customer: Customer, finding) -> None:
        policy = customer.policy.summary(slot.kind)  # type: ignore[arg-type]
        where = {"ticket": ticket.id, "commit": in_force.commit}
        counts = self.facts.on_demand.counts(slot.kind, customer.trend_micro_id, slot.period)
        if counts.counts is None:
            finding("unverified", f"the detection source has no counts for {slot.label} "
                    f"({counts.origin}); ticket #{ticket.id} cannot be checked", **where)
            return
        expected = records.summary_record(ticket.key, policy.detections, counts.counts)
        record = self._record(ticket, expected)
        if record is None or "counts" not in record or fold(record["key"]) != fold(ticket.key):
            finding("unverified", f"ticket #{ticket.id} carries no readable record of its "
                    "counts (sent before records, or edited)", **where)
            return
        sent, want = record["counts"], expected["counts"]
        differ = [f"{d} {format_units(sent[d]) if d in sent else 'none'} (source "
                  f"{format_units(want[d]) if d in want else 'not selected'})"
                  for d in sorted(set(sent) | set(want)) if sent.get(d) != want.get(d)]
        if differ:
            finding("counts_mismatch", f"ticket #{ticket.id} counts differ from the source: "
                    + ", ".join(differ), source=counts.origin, **where)

    # -- additions -------------------------------------------------------------------
    def additions(self, who: Audited, billed: list[tuple[Period, SentTicket]],
                  rows: list[Row]) -> dict[str, list[Finding]]:
        """Findings per billing period label for additions changed since the latest billing."""
        mine = [a for a in self.facts.additions
                if fold(a.company) == fold(who.company) and a.product
                and (a.cancelled is None or a.cancelled > self.scope.now.date())]
        if not mine or not billed:
            return {}
        period, ticket = max(billed, key=lambda pt: (pt[0].start, -pt[1].id))
        if not self.scope.start <= period.start <= self.scope.end:
            self.notes.append(f"{who.slug}: additions not compared (the latest billing, "
                              f"{period.label}, is outside the range)")
            return {}
        row = next((r for r in rows if r.send == "billing" and r.period == period.label), None)
        units = dict(row.units) if row else {}
        if not units:
            return {}  # its record is unknown: the row says so already
        out: list[Finding] = []
        for addition in sorted(mine, key=lambda a: a.id):
            if addition.product not in units:
                continue
            want = units[addition.product]
            if _units(addition.quantity) == _units(want):
                continue
            changed = (f", last updated {_when(addition.last_updated)}"
                       if addition.last_updated else "")
            out.append(Finding(
                "addition_changed", "money", who.slug, who.company, "billing", period.label,
                f"addition #{addition.id} ({addition.product} on {addition.agreement}) has "
                f"quantity {format_units(addition.quantity)}; the latest billing, "
                f"{period.label} (ticket #{ticket.id}), billed {format_units(want)}{changed}",
                ticket=ticket.id, addition=addition.id))
        return {period.label: out} if out else {}


def _why_off(kind: str, in_force: PolicyAt | None, customer: Customer | None) -> str | None:
    """Why the policy in force had this send off, or None when it was on."""
    if in_force is None:
        return "no configuration was in git yet"
    commit = in_force.commit[:7]
    if customer is None:
        return f"the customer was not in the configuration (commit {commit})"
    if not customer.enabled:
        return f"the integration was disabled (commit {commit})"
    send = "billing" if kind == NOW_TAG else kind
    if send == "billing" and customer.policy.billing is None:
        return f"billing was off (commit {commit})"
    if send != "billing" and customer.policy.summary(send) is None:  # type: ignore[arg-type]
        return f"{send.replace('_', ' ')} summaries were off (commit {commit})"
    return None


def _when(instant: datetime | None) -> str:
    return f"{instant:%Y-%m-%d %H:%M %z}" if instant else "?"


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} hours"
