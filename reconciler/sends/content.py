"""The text of send tickets: a summary under 100 characters ending in the record's digest
tag, a readable table, and the machine record line (contract 1, `domain.records`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.config.model import Customer
from reconciler.domain import records
from reconciler.schedule import Period
from reconciler.sources import format_units

KIND_TITLES = {
    "hosted_email_security": "Hosted Email Security",
    "email_security": "Trend Micro Email Security",
}


@dataclass(frozen=True)
class BillingLine:
    """One billed product: what the ticket lists and what the addition is set to."""

    product: str  # product key
    product_name: str
    agreement: str  # "Type / Name"
    agreement_id: int
    addition_id: int
    units: float  # chargeable units: the new quantity
    previous: float | None  # the addition's quantity before this billing
    basis: str  # "used", "provisioned" or a mix, for the reader


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(headers), rule, *(fmt(r) for r in rows)])


def billing_ticket(customer: Customer, label: str, lines: Sequence[BillingLine], key: str,
                   source: str, *, title: str = "Trend Micro billing",
                   superseded_by: Period | None = None) -> tuple[str, str]:
    """(summary, description) of a billing ticket."""
    rows = [[line.product_name, line.agreement, format_units(line.units),
             "-" if line.previous is None else format_units(line.previous), line.basis]
            for line in lines]
    table = _table(["Product", "Agreement", "Units", "Previous", "Basis"], rows, {2, 3})
    applied = ("The agreement additions above now carry these quantities."
               if superseded_by is None else
               f"Sent late: {superseded_by.label} is already billed, so the agreement "
               "additions keep that month's quantities.")
    description = (
        f"{title} for {customer.name} (ConnectWise company {customer.company}), {label}.\n\n"
        f"{table}\n\n"
        "Units are the chargeable licenses: used where Trend Micro reports usage, "
        f"otherwise provisioned. {applied}\n"
        f"Usage source: {source}\n"
        f"Idempotency key: {key}\n"
    )
    record = records.billing_record(key, {line.product: line.units for line in lines})
    return (records.tagged_summary(f"{title} {label}: {customer.name}", record),
            description + "\n" + records.record_line(record) + "\n")


def summary_ticket(customer: Customer, kind: str, period: Period, edition: str | None,
                   detections: Sequence[str], counts: dict[str, int], key: str,
                   source: str) -> tuple[str, str]:
    """(summary, description) of a detection summary ticket."""
    title = KIND_TITLES.get(kind, kind)
    if edition:
        title += f" ({edition.capitalize()})"
    rows = [[name.replace("_", " "), str(counts.get(name, 0))] for name in detections]
    rows.append(["total", str(sum(counts.get(name, 0) for name in detections))])
    table = _table(["Detection", "Count"], rows, {1})
    span = (period.start.isoformat() if period.start == period.end
            else f"{period.start.isoformat()} to {period.end.isoformat()}")
    description = (
        f"{title} detection summary for {customer.name} "
        f"(ConnectWise company {customer.company}).\n"
        f"Period: {period.label} ({span})\n\n"
        f"{table}\n\n"
        f"Detection source: {source}\n"
        f"Idempotency key: {key}\n"
    )
    record = records.summary_record(key, detections, counts)
    return (records.tagged_summary(f"{title} summary {period.label}: {customer.name}", record),
            description + "\n" + records.record_line(record) + "\n")


def mark_ticket(customer: Customer, kind: str, period: Period, key: str, *, waived: bool,
                why: str) -> tuple[str, str]:
    """(summary, description) of a mark: a period owed and not sent, or waived."""
    what = "Trend Micro billing" if kind == "billing" else (
        KIND_TITLES.get(kind, kind) + " summary")
    slug = customer.slug
    short = {"billing": "billing", "hosted_email_security": "hosted_email_security",
             "email_security": "email_security"}.get(kind, kind)
    if waived:
        head = f"Waived: {what} {period.label}: {customer.name}"
        body = (f"{what} for {customer.name} (ConnectWise company {customer.company}), "
                f"{period.label}, is waived: it is not to be sent, and runs stop reporting "
                f"it.\nReason: {why}\n")
    else:
        by_hand = (f"reconciler send-now billing --customer {slug} --period {period.label}"
                   if kind == "billing" else "")
        head = f"Owed: {what} {period.label}: {customer.name}"
        body = (f"{what} for {customer.name} (ConnectWise company {customer.company}), "
                f"{period.label}, is owed and was not sent: {why}\n\n"
                "Every run reports it (and exits 1) until it is sent or waived. "
                + (f"Send it by hand: {by_hand}\n" if by_hand else "")
                + f"Waive it: reconciler waive {short} --customer {slug} --period "
                f"{period.label} --reason \"...\"\n")
    description = body + f"Key: {key}\n"
    return (head if len(head) <= records.SUMMARY_MAX
            else head[: records.SUMMARY_MAX - 1] + "…"), description
