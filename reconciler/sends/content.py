"""The text of send tickets: a summary line under 100 characters and a readable table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.config.model import Customer
from reconciler.schedule import Period
from reconciler.sources import format_units

SUMMARY_MAX = 100  # ConnectWise's limit on ticket summaries
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


def summary_line(text: str) -> str:
    """`text` cut to ConnectWise's 100-character limit."""
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


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
    return summary_line(f"{title} {label}: {customer.name}"), description


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
    return summary_line(f"{title} summary {period.label}: {customer.name}"), description
