"""Reading what was sent, compactly: every send of a (company, kind) in a span of days.

Coverage (`schedule.coverage`) needs every send that covers a day, whatever frequency it
went out at. Labels of one month share a prefix (`tmrm:hes:ACME:2026-11` matches the
days `2026-11-24`, the spans `2026-11-25/2026-11-29` and the month `2026-11`), weeks of
one ISO year another (`tmrm:hes:ACME:2026-W`), and every label of a year `...:2026-`;
so a span of days is read with a prefix per month and per week-year it touches (daily
cadences), or per year (weekly and monthly ones, whose years hold few sends), packed by
the gateway into few requests.
Answers may hold sends just outside the span: coverage only gains from them. Keys are
compared without regard to case, as ConnectWise compares them (`fold`).

One request that fails (after the client's retries) does not take the others with it:
the pairs whose prefixes it carried are in `SentRead.failed` with the error, and every
other pair is read as usual.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from reconciler.connectwise.errors import ConnectWiseError
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Ticket
from reconciler.domain.fold import fold
from reconciler.domain.keys import kind_prefix, parse_key
from reconciler.schedule import Kind

Pair = tuple[str, str]  # (folded company identifier, kind)


def pair_of(key: str) -> Pair | None:
    """The (company, kind) a send's or a mark's key belongs to."""
    parsed = parse_key(key)
    if parsed is None or parsed.kind is None:
        return None
    return fold(parsed.company), parsed.kind


def span_prefixes(kind: Kind, company: str, start: date, end: date, *,
                  daily: bool = True) -> list[str]:
    """Prefixes that together match every label of a send covering a day in start..end
    (and a few more). A daily cadence reads by month and ISO week-year (a year of daily
    tickets would be a long answer); a weekly or monthly one by year, one clause each:
    a year of its sends is a few dozen tickets."""
    head = kind_prefix(kind, company)
    years = sorted({start.year, end.year, start.isocalendar()[0], end.isocalendar()[0]})
    if not daily:
        return [f"{head}{year}-" for year in years]
    months: list[str] = []
    day = start.replace(day=1)
    while day <= end:
        months.append(f"{head}{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    weeks = sorted({start.isocalendar()[0], end.isocalendar()[0]})
    return months + [f"{head}{year}-W" for year in weeks]


@dataclass
class SentRead:
    """Tickets per folded key (lowest id first), and the pairs whose answer held a
    malformed ticket (what they sent cannot be known: never "not sent")."""

    found: dict[str, list[Ticket]] = field(default_factory=dict)
    unreadable: dict[Pair, str] = field(default_factory=dict)
    by_pair: dict[Pair, list[str]] = field(default_factory=dict)  # keys as written
    # pairs a failed request asked for (their sends are unknown, never "not sent")
    failed: dict[Pair, ConnectWiseError] = field(default_factory=dict)

    def tickets(self, key: str) -> list[Ticket]:
        return self.found.get(fold(key), [])

    def keys(self, pair: Pair) -> list[str]:
        """The keys found of one pair, as written on their (lowest id) ticket."""
        return self.by_pair.get(pair, [])


def read_sent(gateway: Gateway, prefixes: Mapping[Pair, Sequence[str]]) -> SentRead:
    """Every ticket whose key starts with one of each pair's prefixes, in few requests."""
    asked = [p for wanted in prefixes.values() for p in wanted]
    out = SentRead()
    if not asked:
        return out
    answer = gateway.tickets(key_prefixes=list(dict.fromkeys(asked)), partial=True)
    for failure in answer.failed:
        carried = {fold(prefix) for prefix in failure.prefixes}
        for pair, wanted in prefixes.items():
            if any(fold(prefix) in carried for prefix in wanted):
                out.failed.setdefault(pair, failure.error)
    for ticket in sorted(answer.records, key=lambda t: t.id):
        pair = pair_of(ticket.key)
        if pair in prefixes:
            key = fold(ticket.key)
            if key not in out.found:
                out.by_pair.setdefault(pair, []).append(ticket.key)
            out.found.setdefault(key, []).append(ticket)
    for problem in answer.malformed:
        owner = pair_of(str(problem.owner)) if problem.owner is not None else None
        concerned: Iterable[Pair] = [owner] if owner is not None else prefixes
        for pair in concerned:
            if pair in prefixes:
                out.unreadable.setdefault(pair, str(problem))
    return out
