"""What a company was last billed: its latest billing ticket and the units that records.

A managed addition's desired quantity is the latest billed units of its product, 0 before
any billing (issue 11). "Latest" is by the month billed, then by ticket id: a send-now
and a scheduled billing of one month, the later wins. A scheduled key names its month
(`tmrm:billing:ACME:2026-11`); a send-now key names the UTC minute it was sent
(`tmrm:billing-now:ACME:2026-12-05T18:57Z`) and billed the latest complete month in the
configured zone at that minute (contract 2). Two tickets with one key: the one
`record_of` names is the send, the others are duplicates (contract 4).

Records are read as contract 1 says: a ticket whose summary digest is the digest of the
record the reader expects IS that record (no request); otherwise its note is read (one
request) and its record line parsed; no readable record is "unknown", never a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from reconciler.connectwise.records import Ticket
from reconciler.domain import records
from reconciler.domain.fold import fold
from reconciler.domain.keys import NOW_TAG, parse_key, record_of
from reconciler.schedule import Period, ScheduleError

# What every billing key starts with, scheduled (`tmrm:billing:`) and send-now
# (`tmrm:billing-now:`): the one prefix a bulk read of billings asks for.
BILLING_KEYS = "tmrm:billing"


@dataclass(frozen=True)
class Billing:
    """One billing send: the ticket that records it and the month it billed."""

    month: Period
    ticket: Ticket

    @property
    def order(self) -> tuple:
        return (self.month.start, self.ticket.id)

    def describe(self) -> str:
        return f"ticket #{self.ticket.id} ({self.ticket.key})"


def billed_month(key: str, tz: ZoneInfo) -> Period | None:
    """The month a billing key billed, or None for a key that is not a billing."""
    parsed = parse_key(key)
    if parsed is None:
        return None
    if parsed.tag == "billing":
        try:
            period = Period.parse(parsed.label)
        except ScheduleError:
            return None
        return period if period.frequency == "month" else None
    if parsed.tag == NOW_TAG:
        try:
            sent = datetime.strptime(parsed.label, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
        except ValueError:
            return None
        return Period.containing("month", sent.astimezone(tz).date()).prev()
    return None


def billings(tickets: Iterable[Ticket], company: str, tz: ZoneInfo) -> list[Billing]:
    """The company's billing sends, oldest first: one per key (the ticket that records
    it: settled duplicates never count)."""
    by_key: dict[str, list[Ticket]] = {}
    for ticket in tickets:
        parsed = parse_key(ticket.key)
        if parsed is None or fold(parsed.company) != fold(company):
            continue
        by_key.setdefault(fold(ticket.key), []).append(ticket)
    found = []
    for group in by_key.values():
        ticket = record_of(group)
        assert ticket is not None  # a group is never empty
        month = billed_month(ticket.key, tz)
        if month is not None:
            found.append(Billing(month, ticket))
    return sorted(found, key=lambda b: b.order)


def latest_billing(tickets: Iterable[Ticket], company: str, tz: ZoneInfo) -> Billing | None:
    """The company's latest billing, or None before any billing."""
    found = billings(tickets, company, tz)
    return found[-1] if found else None


def read_record(ticket: Ticket, expected: Mapping | None,
                read_note: Callable[[int], str | None]) -> records.Record | None:
    """The ticket's record: `expected` when the summary's digest is its digest (nothing
    read), else the record line of its note (one read), else None (unknown)."""
    if expected is not None and records.summary_digest(ticket.summary) == records.digest(
            expected):
        return dict(expected)
    found = records.parse_record(read_note(ticket.id))
    if found is None or fold(found.get("key")) != fold(ticket.key):
        return None
    return found


def billed_units(record: Mapping | None) -> dict[str, float] | None:
    """Units per product key of a billing record (None for no billing record)."""
    if record is None or not isinstance(record.get("units"), dict):
        return None
    return {product: float(units) for product, units in record["units"].items()}
