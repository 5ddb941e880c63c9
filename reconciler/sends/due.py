"""What a run must send: due periods, gaps by coverage, periods missed and still owed.

For the enabled customers of a run:
- their companies are read (one chunked request): keys carry the company identifier as
  ConnectWise holds it, whatever case the customer file uses, and a company that does not
  exist fails its sends up front;
- their marks (owed and waived periods, `domain.keys`) are read by company (one chunked
  request);
- what each (customer, kind) sent over two look-back windows is read by key prefix
  (`window`: a prefix per month and ISO week-year, packed into few requests): the
  window itself is caught up, the one before it is where an owed period that was never
  sent becomes `missed`;
- only for a pair with nothing covered at the start of that span (a customer younger than
  it, or an outage), one more read finds everything it ever sent;
- `schedule.coverage.decide` then says, from what is covered (sent at any frequency, or
  waived) and owed, what to send: the latest period, gaps (only what no send covers, so
  a frequency change never floods), and periods `missed` on every run until they are
  sent by hand or waived;
- a pair whose reads held a malformed ticket is `failed` (its latest period, naming the
  record): what was sent cannot be known, so nothing is sent for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reconciler.config.model import Customer
from reconciler.connectwise.errors import RateLimited, ServerError, TransportFailed
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Ticket
from reconciler.domain.fold import fold
from reconciler.domain.keys import MARK_PREFIXES, OWED, kind_prefix, parse_key, send_key
from reconciler.errors import ReconcilerError
from reconciler.schedule import KINDS, Cadence, Clock, Period, ScheduleError, cadences
from reconciler.schedule.coverage import Coverage, decide, window
from reconciler.sends.window import Pair, SentRead, pair_of, read_sent, span_prefixes

MAX_MISSED_LISTED = 400  # a very long outage is summarised past this many periods
# A bulk read that still fails after the client's retries (an outage, not a refusal):
# the sends it concerns fail and the run goes on. A refusal (401, 403, an answer that is
# not JSON) concerns every send alike and stops the run with its one clear error. What a
# read of sends concerns is narrower than the whole read: the pairs whose prefixes the
# failed request carried (`SentRead.failed`); the others' requests still count.
OUTAGE = (ServerError, TransportFailed, RateLimited)


def _outages(read: SentRead, what: str) -> dict[Pair, str]:
    """The pairs a failed request of `read` concerns, worded; a refusal is raised."""
    for error in read.failed.values():
        if not isinstance(error, OUTAGE):
            raise error
    return {pair: _failed_read(what, error) for pair, error in read.failed.items()}


@dataclass(frozen=True)
class DueSend:
    """One period (or uncovered part of one) of a customer's cadence that the run
    looked at."""

    customer: Customer
    cadence: Cadence
    period: Period
    key: str
    status: str  # send | already_sent | missed | failed | skipped
    due: datetime
    gap: bool = False  # an earlier period being caught up
    detail: str = ""  # why it failed, was skipped or is covered
    anchored: bool = True  # something before it was sent or marked owed
    owed_mark: bool = False  # a mark already records it as owed
    company: str = ""  # the identifier as ConnectWise holds it (keys carry it)


@dataclass
class DuePlan:
    """The work of a run, plus what the reads found."""

    sends: list[DueSend] = field(default_factory=list)
    sent: SentRead = field(default_factory=SentRead)

    @property
    def found(self) -> dict[str, list[Ticket]]:
        """Tickets per folded key."""
        return self.sent.found


@dataclass(frozen=True)
class Work:
    customer: Customer
    company: str  # canonical
    cadence: Cadence

    @property
    def pair(self) -> Pair:
        return fold(self.company), self.cadence.kind


def _periods(keys: Iterable[str]) -> list[Period]:
    found = []
    for key in keys:
        parsed = parse_key(key)
        if parsed is None:
            continue
        try:
            found.append(Period.parse(parsed.label))
        except ScheduleError:
            continue  # not one of ours after all
    return found


def canonical_companies(gateway: Gateway, customers: Sequence[Customer]
                        ) -> tuple[dict[str, str], dict[str, str]]:
    """(folded identifier -> identifier as ConnectWise holds it, folded identifier -> why
    its sends cannot go out)."""
    wanted = sorted({c.company for c in customers}, key=fold)
    found = gateway.companies(wanted)
    canonical: dict[str, str] = {}
    for company in found.records:
        if not company.deleted or fold(company.identifier) not in canonical:
            canonical[fold(company.identifier)] = company.identifier
    problems: dict[str, str] = {}
    for ident in wanted:
        problem = found.problem(ident, fold=fold)
        if problem is not None:
            problems[fold(ident)] = _cannot_tell(f"cannot read company {ident}: {problem}")
        elif fold(ident) not in canonical:
            problems[fold(ident)] = (f"company {ident} does not exist in ConnectWise; run "
                                     "`reconciler verify`")
    return canonical, problems


def _cannot_tell(problem: object) -> str:
    return (f"cannot tell what was sent: {problem}; nothing is sent for it until ConnectWise "
            "answers sensibly")


def _failed_read(what: str, error: object) -> str:
    return f"{what} failed: {error}; nothing is sent for it, the next run tries again"


def canonical_company(gateway: Gateway, customer: Customer) -> str:
    """One customer's company identifier as ConnectWise holds it (keys carry it), or a
    clear error."""
    canonical, problems = canonical_companies(gateway, [customer])
    if fold(customer.company) in problems:
        raise CompanyUnusable(problems[fold(customer.company)])
    return canonical[fold(customer.company)]


class CompanyUnusable(ReconcilerError):
    """A customer's company does not exist in ConnectWise or cannot be read."""


def _marks(gateway: Gateway, companies: Sequence[str]) -> tuple[dict[Pair, list[Period]],
                                                               dict[Pair, list[Period]],
                                                               dict[str, str]]:
    """(owed periods, waived periods) per pair, and companies whose marks are unreadable."""
    owed: dict[Pair, list[Period]] = {}
    waived: dict[Pair, list[Period]] = {}
    answer = gateway.tickets_of_companies(companies, MARK_PREFIXES)
    for ticket in answer.records:
        parsed = parse_key(ticket.key)
        pair = pair_of(ticket.key)
        if parsed is None or pair is None or parsed.mark is None:
            continue
        try:
            period = Period.parse(parsed.label)
        except ScheduleError:
            continue
        (owed if parsed.mark == OWED else waived).setdefault(pair, []).append(period)
    broken: dict[str, str] = {}
    for problem in answer.malformed:
        for company in companies:
            if problem.owner is None or fold(str(problem.owner)) == fold(company) or (
                    (pair_of(str(problem.owner)) or ("",))[0] == fold(company)):
                broken.setdefault(fold(company), _cannot_tell(problem))
    return owed, waived, broken


def find_due(gateway: Gateway, customers: Iterable[Customer], clock: Clock, at: datetime,
             lookback_days: int) -> DuePlan:
    """The sends due at `at` for `customers`, and what the run found."""
    lookback = timedelta(days=max(0, lookback_days))
    floor = at - 2 * lookback
    chosen = [c for c in sorted(customers, key=lambda c: c.slug) if c.enabled]
    plan = DuePlan()
    if not chosen:
        return plan
    try:
        canonical, company_problems = canonical_companies(gateway, chosen)
    except OUTAGE as exc:  # the read failed after the client's retries
        canonical, company_problems = {}, {fold(c.company): _failed_read(
            "reading the customers' companies", exc) for c in chosen}
    work: list[Work] = []
    for customer in chosen:
        for cadence in cadences(customer.policy):
            company = canonical.get(fold(customer.company), customer.company)
            work.append(Work(customer, company, cadence))

    readable = sorted({w.company for w in work if fold(w.company) not in company_problems})
    try:
        owed, waived, mark_problems = _marks(gateway, readable) if readable else ({}, {}, {})
    except OUTAGE as exc:
        owed, waived = {}, {}
        mark_problems = {fold(c): _failed_read("reading the owed and waived periods", exc)
                         for c in readable}
    unreadable: dict[Pair, str] = {}
    for w in work:
        why = company_problems.get(fold(w.company)) or mark_problems.get(fold(w.company))
        if why is not None:
            unreadable[w.pair] = why  # worded already

    start_day = floor.astimezone(clock.tz).date() - timedelta(days=1)
    end_day = at.astimezone(clock.tz).date()
    # the span of two look-backs, and each owed period's own key wherever it lies (it is
    # owed until sent: by hand, maybe long after)
    spans = {w.pair: [*span_prefixes(w.cadence.kind, w.company, start_day, end_day,
                                     daily=w.cadence.frequency == "day"),
                      *(send_key(w.cadence.kind, w.company, p.label)
                        for p in owed.get(w.pair, ()) if p.start < start_day)]
             for w in work if w.pair not in unreadable}
    # read_sent never raises for a failed request: it names the pairs the request carried
    plan.sent = read_sent(gateway, spans)
    unreadable.update(_outages(plan.sent, f"reading what was sent since {start_day}"))
    unreadable.update({p: _cannot_tell(why) for p, why in plan.sent.unreadable.items()
                       if p not in unreadable})

    def coverage_of(w: Work, history: Sequence[Period] = ()) -> Coverage:
        return Coverage([*_periods(plan.sent.keys(w.pair)), *history,
                         *waived.get(w.pair, ())])

    # The history only where nothing covers the first day read (a young customer, or
    # every send in the span missing): whether a gap is owed depends on what came before.
    need = [w for w in work if w.pair not in unreadable
            and not coverage_of(w).covers(start_day + timedelta(days=1))]
    history: dict[Pair, list[Period]] = {}
    if need:
        older = read_sent(gateway, {w.pair: [kind_prefix(w.cadence.kind, w.company)]
                                    for w in need})
        unreadable.update(_outages(older, f"reading what was sent before {start_day}"))
        for w in need:
            history[w.pair] = _periods(older.keys(w.pair))
        unreadable.update({p: _cannot_tell(why) for p, why in older.unreadable.items()
                           if p not in unreadable})

    for w in work:
        plan.sends.extend(_sends_of(w, clock, at, lookback, plan.sent, history, owed, waived,
                                    unreadable, coverage_of))
    plan.sends.sort(key=lambda s: (s.customer.slug, KINDS.index(s.cadence.kind),
                                   s.period.start, s.period.end))
    return plan


def _sends_of(w: Work, clock: Clock, at: datetime, lookback: timedelta, sent: SentRead,
              history: dict[Pair, list[Period]], owed: dict[Pair, list[Period]],
              waived: dict[Pair, list[Period]], unreadable: dict[Pair, str],
              coverage_of) -> list[DueSend]:
    cadence, customer = w.cadence, w.customer

    def key(period: Period) -> str:
        return send_key(cadence.kind, w.company, period.label)

    problem = unreadable.get(w.pair)
    if problem is not None:  # what was sent is unknown: send nothing, say why
        latest = window(cadence, clock, at, lookback)[-1]
        return [DueSend(customer, cadence, latest, key(latest), "failed",
                        cadence.due(latest, clock), company=w.company, detail=problem)]
    earlier = history.get(w.pair, [])
    coverage = coverage_of(w, earlier)
    marked = owed.get(w.pair, [])
    horizon = None
    if w.pair in history:  # everything it ever sent is known: missed back to its start
        starts = [p.start for p in [*earlier, *marked]]
        horizon = clock.instant(min(starts)) - timedelta(days=1) if starts else at
    steps = decide(cadence, clock, at, lookback, coverage, owed=marked, horizon=horizon)
    out: list[DueSend] = []
    missed = 0
    for step in steps:
        k = key(step.period)
        is_marked = any(m == step.period for m in marked)
        anchored = coverage.any_before(step.period.start) or any(
            m.start < step.period.start or m == step.period for m in marked)
        if step.status == "missed":
            missed += 1
            if missed > MAX_MISSED_LISTED:
                continue
            out.append(DueSend(customer, cadence, step.period, k, "missed", step.due,
                               owed_mark=is_marked, company=w.company))
        elif step.status == "covered":
            tickets = sent.tickets(k)
            detail = (f"ticket #{tickets[0].id}" if tickets else
                      "covered by the summaries already sent" if cadence.kind != "billing"
                      else "waived")
            out.append(DueSend(customer, cadence, step.period, k, "already_sent", step.due,
                               detail=detail, company=w.company))
        elif step.status == "before_start":
            out.append(DueSend(customer, cadence, step.period, k, "skipped", step.due,
                               company=w.company, detail=(
                                   "not sent: later periods are already sent and none "
                                   "before it, so it is before this customer's first send "
                                   "(a run back-dated with --at?)" + _by_hand(w, step.period))))
        else:
            out.append(DueSend(customer, cadence, step.period, k, "send", step.due,
                               gap=step.gap, anchored=anchored, owed_mark=is_marked,
                               company=w.company))
    if missed > MAX_MISSED_LISTED:
        out.append(DueSend(customer, cadence, out[-1].period, out[-1].key, "missed",
                           out[-1].due, company=w.company,
                           detail=f"and {missed - MAX_MISSED_LISTED} more periods missed"))
    return out


def _by_hand(w: Work, period: Period) -> str:
    if w.cadence.kind != "billing":
        return ""
    return (f"; to bill it anyway: reconciler send-now billing --customer {w.customer.slug} "
            f"--period {period.label}")
