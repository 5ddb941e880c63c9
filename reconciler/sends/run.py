"""run-due and send-now: perform sends and report one result per send.

One customer's failure never stops the others: every send ends as a `SendResult`. A
bulk read that fails (after the client's retries) fails only the sends it concerns, with
the read and the reason named: the keys read for a look-back window (`due.find_due`), the
agreements and additions read for billing (`billing.BillingData`), and the ticket routing
(every send needs it, so every send fails); the others still go out. The run itself
raises only for a bad request of the caller (an unknown --approve-quantities).
In a dry run everything is read and checked exactly as in a real run (usage, additions,
guardrail, detection counts) but nothing is PATCHed, POSTed or deleted; sends that would
go out are reported `skipped` with "dry run: would send ...".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from reconciler.config.model import Customer, Fleet, RejectedCustomer
from reconciler.connectwise.errors import ConnectWiseError
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import NewTicket, Ticket
from reconciler.domain import records
from reconciler.domain.fold import fold
from reconciler.domain.keys import ParsedKey, now_key, parse_key, send_key
from reconciler.errors import ReconcilerError
from reconciler.schedule import Clock, Period
from reconciler.sends import billing
from reconciler.sends.content import billing_ticket, summary_ticket
from reconciler.sends.delivery import Delivery, deliver
from reconciler.sends.due import DuePlan, DueSend, canonical_company, find_due
from reconciler.sends.marks import keep_owed
from reconciler.sends.model import RunReport, SendResult, rejected_results
from reconciler.sends.quantities import CompanyBillings, converge, read_billings
from reconciler.sends.routing import Routing, RoutingError, resolve_routing
from reconciler.sends.settle import Settlement, losers, record_of, settle
from reconciler.sources import DetectionSource, SourceError, UsageSource

Progress = Callable[[str], None]


@dataclass
class SendContext:
    """What every send of one run shares (read once, lazily)."""

    fleet: Fleet
    gateway: Gateway
    usage: UsageSource | None
    detections: DetectionSource | None
    clock: Clock
    at: datetime
    dry_run: bool = False
    approve: frozenset[str] = frozenset()  # folded slugs / company identifiers
    billing_companies: frozenset[str] = frozenset()  # whose agreements to read, in bulk
    _routing: Routing | str | None = None  # str: why it could not be read
    _billing: billing.BillingData | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)  # customers run in parallel
    # key -> duplicates a delivery could not settle (warning rows; the sends are done)
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def delivered(self, key: str, delivery: Delivery) -> Delivery:
        """Keep what a delivery could not settle, for the run's warning rows."""
        if delivery.warnings:
            with self._lock:
                self.warnings[key] = self.warnings.get(key, ()) + delivery.warnings
        return delivery

    @property
    def routing(self) -> Routing:
        """Read once per run; a failed read fails every send that needs it, without
        reading again for each."""
        with self._lock:
            if self._routing is None:
                try:
                    self._routing = resolve_routing(self.gateway, self.fleet.settings.tickets)
                except RoutingError as exc:  # a name in reconciler.yaml that does not exist
                    self._routing = str(exc)
                except ConnectWiseError as exc:
                    self._routing = ("reading the ticket routing (board, status, priority, "
                                     f"type) failed: {exc}")
            if isinstance(self._routing, str):
                raise RoutingError(self._routing)  # a new one per send: threads share none
            return self._routing

    def billing_data(self) -> billing.BillingData:
        with self._lock:
            if self._billing is None:
                self._billing = billing.BillingData.read(self.gateway,
                                                         sorted(self.billing_companies))
            return self._billing

    def approved(self, customer: Customer) -> bool:
        exceptions = {fold(s) for s in self.fleet.settings.safety.quantity_exceptions}
        names = {fold(customer.slug), fold(customer.company)}
        return bool(names & (self.approve | exceptions))

    def ticket(self, customer: Customer, key: str, summary: str, description: str
               ) -> NewTicket:
        """The ticket of one send, routed as configured (resolving routing on first use:
        a bad board name fails the send before anything is written)."""
        routing = self.routing
        return NewTicket(key=key, summary=summary, company=customer.company,
                         description=description, board_id=routing.board.id,
                         status_id=routing.status.id, priority_id=routing.priority.id,
                         type_id=routing.type.id if routing.type is not None else None)


def _result(send: DueSend, outcome: str, detail: str = "") -> SendResult:
    return SendResult(send.customer.slug, send.customer.company, send.cadence.kind,
                      send.period.label, send.key, outcome, detail)  # type: ignore[arg-type]


def send_billing(ctx: SendContext, customer: Customer, period: Period, key: str, *,
                 title: str = "Trend Micro billing") -> tuple[str, str]:
    """Bill one customer for the month `period`: (outcome, detail).

    The company's billing tickets are read first (`sends.quantities`): the key already
    there is `already_sent`; a later month already billed makes this one a ticket only
    (its units are recorded, the additions keep the later month's, the guardrail does not
    apply). A billing that wrote quantities ends by converging them with the latest
    billing, so a stale write of a concurrent run never stays."""
    if ctx.usage is None:
        raise ReconcilerError("no usage source configured")
    settings = ctx.fleet.settings
    tz = ctx.clock.tz
    today = ctx.at.astimezone(tz).date()
    year, month = period.start.year, period.start.month
    # products the customer uses that nobody maps are named on every outcome of the row
    unmapped = billing.not_billed(customer, ctx.usage, year, month)
    try:
        lines = billing.prepare(customer, settings, ctx.usage, ctx.billing_data(), year,
                                month, today)
    except billing.BillingFailed as exc:
        raise billing.BillingFailed(f"{exc}{unmapped}") from None
    before = read_billings(ctx.gateway, customer.company, tz)
    sent = record_of(before.of_key(key))
    if sent is not None:
        return "already_sent", f"ticket #{sent.id}"
    latest = before.latest
    superseded_by = latest.month if latest is not None and latest.month > period else None
    held = [] if superseded_by else billing.guardrail(
        lines, bool(before.sends), settings.safety.max_quantity_change_percent)
    if held and not ctx.approved(customer):
        return "held", (f"held by the quantity guardrail: {'; '.join(held)}; nothing sent. "
                        f"If right, run again with --approve-quantities {customer.slug}"
                        f"{unmapped}")
    summary, description = billing_ticket(customer, period.label, lines, key,
                                          ctx.usage.description, title=title,
                                          superseded_by=superseded_by)
    detail = billing.describe(lines)
    if held:
        detail += " (approved past the guardrail: " + "; ".join(held) + ")"
    if superseded_by is not None:
        detail += (f" (ticket only: {superseded_by.label} is already billed, the additions "
                   "keep its quantities)")
    # routing is resolved before anything is written: a bad board name fails cleanly
    ticket = ctx.ticket(customer, key, summary, description)
    if ctx.dry_run:
        return "skipped", f"dry run: would bill {detail}{unmapped}"
    if superseded_by is None:
        billing.apply_quantities(ctx.gateway, ctx.billing_data(), lines)
    agreements = {line.agreement_id for line in lines}
    if len(agreements) == 1:
        ticket = replace(ticket, agreement_id=agreements.pop())
    seen: list[CompanyBillings] = []

    def read_back() -> tuple[Ticket, ...]:
        seen.append(read_billings(ctx.gateway, customer.company, tz))
        return seen[-1].tickets

    delivery = ctx.delivered(key, deliver(ctx.gateway, ticket, just_checked=True,
                                          read=read_back))
    note = ""
    if superseded_by is None:
        record = records.billing_record(key, {line.product: line.units for line in lines})
        try:
            note = converge(ctx.gateway, customer.company, tz, record, lines, seen[-1])
        except ReconcilerError as exc:
            return "failed", (f"ticket #{delivery.ticket_id} sent, but the quantities it "
                              f"wrote are not settled: {exc}; run `reconciler plan` and "
                              "apply to converge them")
    if delivery.outcome == "already_sent":
        return "already_sent", ((delivery.note or f"ticket #{delivery.ticket_id}")
                                + (f"; {note}" if note else ""))
    return "sent", (f"{detail}; ticket #{delivery.ticket_id}" + (f"; {note}" if note else "")
                    + unmapped)


def send_summary(ctx: SendContext, send: DueSend) -> tuple[str, str]:
    """Send one detection summary: (outcome, detail)."""
    if ctx.detections is None:
        raise ReconcilerError("no detection source configured")
    customer, kind = send.customer, send.cadence.kind
    policy = customer.policy.summary(kind)  # type: ignore[arg-type]
    if policy is None:  # cadences() only yields kinds the policy has
        return "skipped", f"{kind} is off for this customer"
    try:
        counts = ctx.detections.counts(kind, customer.trend_micro_id, send.period.start,
                                       send.period.end)
    except SourceError as exc:
        return "failed", str(exc)
    summary, description = summary_ticket(customer, kind, send.period, policy.edition,
                                          policy.detections, counts, send.key,
                                          ctx.detections.description)
    total = sum(counts.get(name, 0) for name in policy.detections)
    detail = f"{len(policy.detections)} detections, {total} in total"
    ticket = ctx.ticket(customer, send.key, summary, description)  # a dry run checks routing
    if ctx.dry_run:
        return "skipped", f"dry run: would send {detail}"
    delivery = ctx.delivered(send.key, deliver(ctx.gateway, ticket))
    if delivery.outcome == "already_sent":
        return "already_sent", delivery.note or f"ticket #{delivery.ticket_id}"
    return "sent", f"{detail}; ticket #{delivery.ticket_id}"


def warning_results(warned: dict[str, tuple[str, ...]], customers: Iterable[Customer]
                    ) -> list[SendResult]:
    """One `warning` row per duplicate ticket that could not be settled, on its key's
    customer, kind and period."""
    by_company = {fold(c.company): c for c in customers}
    rows = []
    for key, texts in sorted(warned.items()):
        parsed = parse_key(key) or ParsedKey("", "", "")
        customer = by_company.get(fold(parsed.company))
        slug, company = (customer.slug, customer.company) if customer else ("", parsed.company)
        rows += [SendResult(slug, company, parsed.kind or "billing", parsed.label, key,
                            "warning", text) for text in texts]
    return rows


def check_approvals(fleet: Fleet, approve: Iterable[str]) -> None:
    """Every --approve-quantities value names a customer (a typo must not pass silently)."""
    # files that did not load count too: their typo must not stop everyone's run
    everyone = [*fleet.customers, *fleet.rejected]
    known = {fold(c.slug) for c in everyone} | {fold(c.company) for c in everyone if c.company}
    unknown = [a for a in approve if fold(a) not in known]
    if unknown:
        raise ReconcilerError(
            "--approve-quantities names no customer: " + ", ".join(repr(a) for a in unknown)
            + " (give a customer's slug or ConnectWise company identifier)")


def run_due(fleet: Fleet, gateway: Gateway, at: datetime, *, usage: UsageSource | None,
            detections: DetectionSource | None, customers: Iterable[Customer] | None = None,
            dry_run: bool = False, approve: Iterable[str] = (),
            progress: Progress | None = None,
            rejected: Iterable[RejectedCustomer] | None = None) -> RunReport:
    """Perform every send due at `at` (gaps included) and report each one.

    Customer files that did not load (`rejected`, default `fleet.rejected`) get one
    failed `config` row each; nothing is read or sent for them."""
    settings = fleet.settings
    clock = Clock.of(settings.timezone, settings.send_at)
    check_approvals(fleet, approve)
    start_requests = gateway.request_count
    chosen = list(fleet.customers if customers is None else customers)
    plan: DuePlan = find_due(gateway, chosen, clock, at, settings.lookback_days)
    ctx = SendContext(fleet, gateway, usage, detections, clock, at, dry_run,
                      frozenset(fold(a) for a in approve),
                      frozenset(s.customer.company for s in plan.sends
                                if s.status == "send" and s.cadence.kind == "billing"))
    # Duplicates left by earlier races (or earlier refusals to settle) are settled first;
    # a dry run leaves them alone.
    settlements: dict[str, Settlement] = {} if dry_run else {
        tickets[0].key: settle(gateway, tickets[0].key, tickets)
        for _, tickets in sorted(plan.found.items()) if losers(tickets)}
    settled_notes = {fold(key): s.note for key, s in settlements.items() if s.note}

    def missed(send: DueSend) -> tuple[str, str]:
        detail = (f"due {send.due.isoformat()}, older than the {settings.lookback_days}-day "
                  "look-back and never sent: send it by hand "
                  + (f"(reconciler send-now billing --customer {send.customer.slug} "
                     f"--period {send.period.label}) " if send.cadence.kind == "billing"
                     else "")
                  + f"or waive it (reconciler waive {send.cadence.kind} --customer "
                  f"{send.customer.slug} --period {send.period.label} --reason ...)")
        if send.detail:
            detail = send.detail
        elif not send.owed_mark:
            detail += "; " + mark_owed(send, "it fell out of the look-back unsent")
        return "missed", detail

    def mark_owed(send: DueSend, why: str) -> str:
        if dry_run:
            return "would record it as owed"
        try:
            routing = ctx.routing
        except ReconcilerError as exc:
            return f"could not record it as owed ({exc})"
        return keep_owed(gateway, routing, send.customer, send.company or
                         send.customer.company, send.cadence.kind, send.period, why)

    def perform(send: DueSend) -> SendResult:
        if send.status == "missed":
            return _result(send, *missed(send))
        if send.status != "send":
            detail = send.detail
            if send.status == "already_sent":
                note = settled_notes.get(fold(send.key))
                detail += f"; {note}" if note else ""
            return _result(send, send.status, detail)
        if progress:
            progress(f"{send.customer.slug} {send.cadence.kind} {send.period.label}")
        try:
            if send.cadence.kind == "billing":
                outcome, detail = send_billing(ctx, send.customer, send.period, send.key)
            else:
                outcome, detail = send_summary(ctx, send)
        except ReconcilerError as exc:
            outcome, detail = "failed", str(exc)
        except Exception as exc:  # a bug: this send fails, the run and its report go on
            outcome, detail = "failed", (f"internal error: {type(exc).__name__}: {exc} (a "
                                         "bug; please report it)")
        if send.gap and outcome in ("sent", "skipped"):
            detail = "catching up: " + detail
        if outcome in ("failed", "held") and not send.anchored and not send.owed_mark:
            # a first period: without a mark, later runs would take it for one before
            # the customer started and never send or report it again
            detail += "; " + mark_owed(send, detail)
        return _result(send, outcome, detail)

    # One customer's sends stay in order (billing months oldest first); customers run
    # in parallel under the gateway's bounded concurrency.
    by_customer: dict[str, list[DueSend]] = {}
    for send in plan.sends:
        by_customer.setdefault(send.customer.slug, []).append(send)

    def run_group(sends: list[DueSend]) -> list[SendResult]:
        return [perform(send) for send in sends]

    done = gateway.parallel(run_group, list(by_customer.values()))
    results = [result for group in done for result in group]
    warned = {key: s.warnings for key, s in settlements.items() if s.warnings}
    for key, texts in ctx.warnings.items():
        warned[key] = warned.get(key, ()) + texts
    results += warning_results(warned, chosen)
    results += rejected_results(fleet.rejected if rejected is None else rejected)
    results.sort(key=lambda r: r.customer)  # stable: each customer's order is kept
    return RunReport(tuple(results), dry_run=dry_run,
                     requests=gateway.request_count - start_requests)


def send_now(fleet: Fleet, gateway: Gateway, customer: Customer, at: datetime, *,
             usage: UsageSource, period: Period | None = None, dry_run: bool = False,
             approve: Iterable[str] = ()) -> SendResult:
    """The Send now button: bill the latest complete month (the one before the current
    month in the configured zone, as a scheduled billing would: contract 2) at once, with
    key `tmrm:billing-now:<COMPANY>:<UTC minute>`.

    With `period`, bill that month by hand under its scheduled key (a missed or failed
    month): it is then sent, so no run reports it again; when a later month is already
    billed it is a ticket only, the additions keep the later month's units."""
    settings = fleet.settings
    clock = Clock.of(settings.timezone, settings.send_at)
    latest = Period.containing("month", at.astimezone(clock.tz).date()).prev()
    company = customer.company
    key = now_key(company, at) if period is None else send_key("billing", company,
                                                                period.label)
    billed = period or latest
    ctx = SendContext(fleet, gateway, usage, None, clock, at, dry_run,
                      frozenset(fold(a) for a in approve), frozenset({customer.company}))

    def result(outcome: str, detail: str) -> SendResult:
        return SendResult(customer.slug, company, "billing", billed.label, key,
                          outcome, detail)  # type: ignore[arg-type]

    if customer.policy.billing is None or not customer.billed_products:
        return result("skipped", "billing is off for this customer")
    if period is not None and (period.frequency != "month" or period > latest):
        return result("failed", f"{period.label} is not a complete month yet: billing bills "
                      f"complete months (the latest is {latest.label})")
    try:
        company = canonical_company(gateway, customer)
        key = now_key(company, at) if period is None else send_key("billing", company,
                                                                    period.label)
        title = ("Trend Micro billing (sent now)" if period is None
                 else "Trend Micro billing (sent by hand)")
        outcome, detail = send_billing(ctx, customer, billed, key, title=title)
    except ReconcilerError as exc:
        outcome, detail = "failed", str(exc)
    for warning in ctx.warnings.get(key, ()):  # one row only: the warning goes with it
        detail += f"; warning: {warning}"
    return result(outcome, detail)
