"""What the Trend Micro side reports: license usage and detection counts.

Usage: per customer, product and month, provisioned and used units of each service plan;
the chargeable amount is `used` where reported, otherwise `provisioned`. A product with
no line at all for a customer is *missing* (an error for that customer's billing), never
a zero.
Detections: per customer, summary kind, detection name and period, a count; a detection
with no rows in a period that has data counted zero times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from reconciler.errors import ReconcilerError


class SourceError(ReconcilerError):
    """Usage or detection data that is missing, unreadable or invalid (names file:line)."""


@dataclass(frozen=True)
class UsageLine:
    """One service plan of one product for one customer in one month."""

    customer_id: str
    product: str  # product key from reconciler.yaml
    service_plan: str
    unit: str
    provisioned: float
    used: float | None  # None: not reported, bill provisioned
    origin: str = ""  # where it came from, for messages (file:line or LMPI)

    @property
    def chargeable(self) -> float:
        return self.used if self.used is not None else self.provisioned


@dataclass(frozen=True)
class MonthUsage:
    """Every usage line a source reports for one month."""

    year: int
    month: int
    lines: tuple[UsageLine, ...]
    source: str  # a description of the source, for messages
    _index: Mapping[tuple[str, str], tuple[UsageLine, ...]] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[tuple[str, str], list[UsageLine]] = {}
        for line in self.lines:
            index.setdefault((line.customer_id, line.product), []).append(line)
        object.__setattr__(self, "_index", {k: tuple(v) for k, v in index.items()})

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def lines_for(self, customer_id: str, product: str) -> tuple[UsageLine, ...]:
        return self._index.get((customer_id, product), ())

    def chargeable(self, customer_id: str, product: str) -> float | None:
        """Chargeable units summed over service plans, or None when nothing is reported."""
        lines = self.lines_for(customer_id, product)
        if not lines:
            return None
        return sum(line.chargeable for line in lines)


class UsageSource(Protocol):
    """Where license usage comes from (file folder or LMPI)."""

    description: str

    def usage(self, year: int, month: int) -> MonthUsage:
        """Every customer's usage for a month; SourceError when the month is unavailable."""
        ...


class DetectionSource(Protocol):
    """Where detection counts come from."""

    description: str

    def counts(self, kind: str, customer_id: str, start: date, end: date) -> dict[str, int]:
        """Counts per detection name for start..end inclusive; SourceError when unavailable."""
        ...


def as_number(raw: object, what: str, where: str, *, optional: bool = False) -> float | None:
    """A non-negative finite number from CSV text or a JSON value."""
    if isinstance(raw, bool):
        raise SourceError(f"{where}: {what} {raw!r} is not a number")
    if isinstance(raw, int | float):
        raw = repr(raw)
    text = ("" if raw is None else str(raw)).strip()
    if not text:
        if optional:
            return None
        raise SourceError(f"{where}: {what} is empty")
    try:
        value = float(text)
    except ValueError:
        raise SourceError(f"{where}: {what} {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SourceError(f"{where}: {what} {text!r} is not a finite number")
    if value < 0:
        raise SourceError(f"{where}: {what} {text!r} is negative")
    return value


def format_units(value: float) -> str:
    """Units for people: 25 rather than 25.0."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class Unavailable:
    """A source that could not be set up: every use reports why (so summaries still go
    out when, say, LMPI credentials are missing, and billing fails with the reason)."""

    def __init__(self, error: SourceError, description: str = "unavailable") -> None:
        self.error = error
        self.description = description

    def usage(self, year: int, month: int) -> MonthUsage:
        raise self.error

    def counts(self, kind: str, customer_id: str, start: date, end: date) -> dict[str, int]:
        raise self.error
