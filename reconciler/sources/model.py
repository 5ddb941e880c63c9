"""What the Trend Micro side reports: license usage and detection counts.

Usage: per customer, product and month, provisioned and used units of each service plan;
the chargeable amount is `used` where reported, otherwise `provisioned`. A product with
no line at all for a customer is *missing* (an error for that customer's billing), never
a zero.
Detections: per customer, summary kind, detection name and period, a count. Every day of
the period must be known to be complete (a day exported, or every one of its hours
collected); otherwise the counts are unavailable and the days are named (`MissingDays`),
never counted as zero. Within a complete day, a detection without rows counted zero.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from reconciler.errors import ReconcilerError


class SourceError(ReconcilerError):
    """Usage or detection data that is missing, unreadable or invalid (names file:line)."""


class LoadedOnce:
    """What a source loads (a file, a report, a customer list), loaded once per key: a
    load that failed keeps failing the same way (every customer read from it gets the same
    error) without being loaded again. Customers run in parallel, so loads hold a lock:
    the first thread loads, the others wait for its answer instead of loading it again."""

    def __init__(self, load: Callable[..., Any]) -> None:
        self._load = load
        self._found: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, *key: Any) -> Any:
        with self._lock:
            if key not in self._found:
                try:
                    self._found[key] = self._load(*key)
                except SourceError as exc:
                    self._found[key] = exc
            found = self._found[key]
        if isinstance(found, SourceError):
            raise found
        return found


def day_list(days: Sequence[date]) -> str:
    """2026-11-03, 2026-11-04 and 2026-11-09 as `2026-11-03..04, 2026-11-09`."""
    runs: list[list[date]] = []
    for day in sorted(set(days)):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        first, last = run[0], run[-1]
        if first == last:
            parts.append(first.isoformat())
        elif (first.year, first.month) == (last.year, last.month):
            parts.append(f"{first.isoformat()}..{last.day:02d}")
        else:
            parts.append(f"{first.isoformat()}..{last.isoformat()}")
    return ", ".join(parts)


class MissingDays(SourceError):
    """Detection counts of a period that is not completely known: never sent short."""

    def __init__(self, what: str, missing: Sequence[date], lost: Sequence[date] = (),
                 hint: str = "") -> None:
        self.missing = tuple(sorted(set(missing)))
        self.lost = tuple(sorted(set(lost)))
        text = f"{what} {day_list(self.missing)}"
        if self.lost:
            text += (f" (lost for good: {day_list(self.lost)} fell out of Trend Micro Email "
                     "Security's 72-hour log window before they were collected)")
        if hint:
            text += f"; {hint}"
        super().__init__(text)


@dataclass(frozen=True)
class UsageLine:
    """One service plan of one product for one customer in one month."""

    customer_id: str  # how the source names the customer: an id (files), a name (LMPI)
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
class RejectedLine:
    """A row of a product we bill that cannot be billed (its service plan is not mapped,
    its numbers are nonsense): billing those products for that customer fails with it."""

    customer_id: str
    products: tuple[str, ...]  # the product keys it may belong to
    reason: str
    origin: str = ""


@dataclass(frozen=True)
class UnmappedRow:
    """A usage row of a Trend Micro product that no product of reconciler.yaml maps: it
    is not billed. Shown where the customer's billing is reported, so a product the
    customer uses and nobody bills is seen, not lost quietly."""

    customer_id: str  # as the source names the customer (an id in files, a name in LMPI)
    product_name: str
    service_plan: str
    origin: str = ""

    @property
    def product(self) -> str:
        """`'Deep Security' plan 'Per hour'`, for messages."""
        plan = f" plan {self.service_plan!r}" if self.service_plan else ""
        return f"{self.product_name!r}{plan}"


@dataclass(frozen=True)
class UnmappedProduct:
    """A (product name, service plan) no product maps, and who reports it."""

    product_name: str
    service_plan: str
    customers: tuple[str, ...]  # as the source names them


def unmapped_products(usage: MonthUsage, customer_ids: Iterable[str] | None = None
                      ) -> tuple[UnmappedProduct, ...]:
    """Every product and service plan of a month's report that no product of
    reconciler.yaml maps, with the customers reporting it (sorted): what `doctor` can list.
    Given `customer_ids` (customer files' `trend_micro.customer_id`), only their rows, each
    customer named by that id; one the source cannot resolve is left out (its billing
    says why)."""
    rows: list[tuple[UnmappedRow, str]] = []
    if customer_ids is None:
        rows = [(row, row.customer_id) for row in usage.unmapped]
    else:
        for customer_id in customer_ids:
            try:
                rows += [(row, customer_id) for row in usage.unmapped_for(customer_id)]
            except SourceError:
                continue
    found: dict[tuple[str, str], set[str]] = {}
    for row, customer in rows:
        found.setdefault((row.product_name, row.service_plan), set()).add(customer)
    return tuple(UnmappedProduct(name, plan, tuple(sorted(customers)))
                 for (name, plan), customers in sorted(found.items()))


def _identity(customer_id: str) -> str:
    return customer_id


@dataclass(frozen=True)
class MonthUsage:
    """Every usage line a source reports for one month.

    `resolve` turns a customer file's `trend_micro.customer_id` into the key the lines
    use (LMPI names customers; the file source uses the id itself) and raises SourceError
    for that customer when it cannot be done without guessing. `unmapped` lists the rows
    no product claims (not billed; `unmapped_for` gives a customer's).
    """

    year: int
    month: int
    lines: tuple[UsageLine, ...]
    source: str  # a description of the source, for messages
    rejected: tuple[RejectedLine, ...] = ()
    unmapped: tuple[UnmappedRow, ...] = ()
    resolve: Callable[[str], str] = field(default=_identity, repr=False, compare=False)
    _index: Mapping[tuple[str, str], tuple[UsageLine, ...]] = field(
        init=False, repr=False, compare=False)
    _rejected: Mapping[tuple[str, str], tuple[RejectedLine, ...]] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[tuple[str, str], list[UsageLine]] = {}
        for line in self.lines:
            index.setdefault((line.customer_id, line.product), []).append(line)
        object.__setattr__(self, "_index", {k: tuple(v) for k, v in index.items()})
        rejected: dict[tuple[str, str], list[RejectedLine]] = {}
        for row in self.rejected:
            for product in row.products:
                rejected.setdefault((row.customer_id, product), []).append(row)
        object.__setattr__(self, "_rejected", {k: tuple(v) for k, v in rejected.items()})

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def lines_for(self, customer_id: str, product: str) -> tuple[UsageLine, ...]:
        """The lines to bill; SourceError when they cannot be billed without guessing: the
        customer cannot be resolved, a row's service plan is unmapped, one service plan is
        listed twice (two customers with one name?), or the plans count different units."""
        key = self.resolve(customer_id)
        for row in self._rejected.get((key, product), ()):
            raise SourceError(f"{row.origin}: {row.reason}")
        lines = self._index.get((key, product), ())
        plans: dict[str, UsageLine] = {}
        for line in lines:
            plan = " ".join(line.service_plan.split()).casefold()
            if plan in plans:
                raise SourceError(
                    f"{product}: service plan {line.service_plan!r} is reported twice for "
                    f"{key!r} ({plans[plan].origin} and {line.origin}); two customers with "
                    "one name, or a duplicated row: not billed until it is resolved")
            plans[plan] = line
        units = sorted({line.unit.strip().casefold() for line in lines if line.unit.strip()})
        if len(units) > 1:
            raise SourceError(f"{product}: its service plans count different units "
                              f"({', '.join(units)}) for {key!r}; they cannot be added up")
        return lines

    def products_of(self, customer_id: str) -> tuple[str, ...]:
        """The product keys with rows (billable or not) for this customer; SourceError
        when the customer cannot be resolved."""
        key = self.resolve(customer_id)
        return tuple(sorted({p for (k, p) in self._index if k == key}
                            | {p for (k, p) in self._rejected if k == key}))

    def unmapped_for(self, customer_id: str) -> tuple[UnmappedRow, ...]:
        """This customer's rows that no product maps; SourceError when the customer cannot
        be resolved."""
        key = self.resolve(customer_id)
        return tuple(row for row in self.unmapped if row.customer_id == key)

    def chargeable(self, customer_id: str, product: str) -> float | None:
        """Chargeable units summed over service plans, or None when nothing is reported.

        Summing is right: LMPI reports each plan's highest provisioned and used units of
        the billing period ("the numbers of provisioned and used units displayed reflect
        the highest respective values during the selected billing period",
        docs.trendmicro.com/en-us/documentation/article/trend-vision-one-for-msp-lmp-billing-tab).
        """
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


# Sane bounds: no customer is billed ten million seats, and no day brings a customer
# a billion detections. A number past them is a broken export, never a quantity.
MAX_UNITS = 10_000_000
MAX_COUNT = 1_000_000_000
# ASCII digits only: no sign, exponent, "_" or other scripts' digits; a zero fraction
# ("35.0", as some exports write whole numbers) is the whole number it writes.
_DIGITS = re.compile(r"([0-9]{1,12})(?:\.0+)?")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 24 else text[:20] + "...")


def as_number(raw: object, what: str, where: str, *, optional: bool = False,
              maximum: int = MAX_UNITS) -> float | None:
    """A whole number from CSV text (ASCII digits only) or a JSON value (an integer, or an
    integral float), from 0 to `maximum`: `1e308`, `1_7`, `١٧`, `-4`, `2.5` and `nan`
    are refused, naming `where`."""
    if isinstance(raw, bool):
        raise SourceError(f"{where}: {what} {raw!r} is not a number")
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise SourceError(f"{where}: {what} {raw!r} is not a finite number")
        if not raw.is_integer():
            raise SourceError(f"{where}: {what} {raw!r} is not a whole number")
        raw = int(raw)
    if isinstance(raw, int):
        value = raw
    else:
        text = ("" if raw is None else str(raw)).strip()
        if not text:
            if optional:
                return None
            raise SourceError(f"{where}: {what} is empty")
        if text.startswith("-") and _DIGITS.fullmatch(text[1:]):
            raise SourceError(f"{where}: {what} {_shown(text)} is negative")
        if text.lower() in ("nan", "inf", "-inf", "infinity"):
            raise SourceError(f"{where}: {what} {_shown(text)} is not a finite number")
        if not _DIGITS.fullmatch(text):
            raise SourceError(f"{where}: {what} {_shown(text)} is not a number: whole units "
                              "in ASCII digits are expected")
        value = int(_DIGITS.fullmatch(text)[1])  # type: ignore[index]
    if value < 0:
        raise SourceError(f"{where}: {what} {value} is negative")
    if value > maximum:
        raise SourceError(f"{where}: {what} {_shown(str(value))} is more than {maximum:,}: "
                          "not a plausible quantity")
    return float(value)


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
