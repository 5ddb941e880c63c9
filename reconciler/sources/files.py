"""The file source: usage and detection counts as CSV or JSON files under a folder.

Layout (paths relative to the fleet root, from `sources.usage.path` /
`sources.detections.path`):
- usage: `<usage>/YYYY-MM.csv` with columns
  `customer_id,product,service_plan,unit,provisioned,used` (`used` empty = not reported;
  `product` is a product key of reconciler.yaml, or Trend Micro's product name mapped to
  a product as LMPI rows are: see products.py), or `<usage>/YYYY-MM.json` holding a list
  of objects with the same fields (`used` null).
- detections: `<detections>/<kind>/YYYY-MM.csv` with columns
  `customer_id,date,detection,count`, one row per customer, day and detection (weekly and
  monthly summaries add the days up), or the same as a JSON list. A customer's day is
  exported when the file has at least one row for it: a day with no detections at all is
  one row with a count of 0 (any detection name). A day without rows is missing: the
  summaries that cover it fail naming it, never count it as zero.
A month with no file is unavailable (an error for whoever needs it, never zeros). Bad
rows are errors naming file:line (JSON: file and item number), and they fail only the
customer the row is for: a number that is not whole units in ASCII digits, a field
longer than MAX_FIELD characters, bytes that are not UTF-8, a row repeated (one service
plan twice, one detection of a day twice: named with both lines) fail that customer's
billing or summary; a row whose customer cannot be read fails the file's month for all,
since whose it is cannot be known. Nothing in a file stops a run.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from reconciler.config.model import Product
from reconciler.sources.model import (
    MAX_COUNT,
    LoadedOnce,
    MissingDays,
    MonthUsage,
    RejectedLine,
    SourceError,
    UnmappedRow,
    UsageLine,
    as_number,
)
from reconciler.sources.products import ProductMap, unmapped_plan

USAGE_COLUMNS = ("customer_id", "product", "service_plan", "unit", "provisioned", "used")
DETECTION_COLUMNS = ("customer_id", "date", "detection", "count")
# No field of an export is longer: customer ids, product and plan names, whole numbers.
MAX_FIELD = 1024
# csv's own limit (128 KiB) raises for the whole file; a longer field is judged per row.
csv.field_size_limit(64 * 1024 * 1024)
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that did not decode (surrogateescape)


def _row_problem(row: dict) -> str | None:
    """Why a row cannot be trusted as text (too long a field, bytes that are not UTF-8)."""
    for column, value in row.items():
        text = "" if value is None else str(value)
        if len(text) > MAX_FIELD:
            return (f"{column} is {len(text):,} characters long (more than {MAX_FIELD:,}): "
                    "not an export's value")
        if _NOT_UTF8.search(text):
            return f"{column} is not UTF-8 text"
    return None


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def _read_rows(path: Path, columns: tuple[str, ...], shown: str) -> list[tuple[str, dict]]:
    """(location, row) pairs from a CSV (header required) or JSON list file."""
    try:  # bytes that are not UTF-8 are kept (escaped) and judged per row
        text = path.read_bytes().decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    except OSError as exc:
        raise SourceError(f"{shown}: cannot read: {exc.strerror}") from None
    if path.suffix == ".json":
        if _NOT_UTF8.search(text):
            raise SourceError(f"{shown}: not UTF-8 text (JSON must be)")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(
                f"{shown}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
            raise SourceError(f"{shown}: unreadable JSON: {exc}") from None
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data = data["items"]
        if not isinstance(data, list):
            raise SourceError(f"{shown}: expected a JSON list of objects")
        rows = []
        for number, item in enumerate(data, 1):
            where = f"{shown}: item {number}"
            if not isinstance(item, dict):
                raise SourceError(f"{where}: expected an object")
            missing = [c for c in columns if c not in item and c != "used"]
            if missing:
                raise SourceError(f"{where}: missing {', '.join(missing)}")
            rows.append((where, item))
        return rows
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SourceError(f"{shown}:1: unreadable CSV: {exc}") from None
    if header is None:
        raise SourceError(f"{shown}:1: empty file (expected header {','.join(columns)})")
    header = [h.strip() for h in header]
    missing = [c for c in columns if c not in header]
    if missing:
        raise SourceError(f"{shown}:1: header lacks column(s) {', '.join(missing)} "
                          f"(expected {','.join(columns)})")
    rows = []
    number = 1
    while True:
        try:
            values = next(reader, None)
        except csv.Error as exc:
            raise SourceError(f"{shown}:{reader.line_num}: unreadable CSV: {exc}") from None
        number += 1
        if values is None:
            return rows
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise SourceError(f"{shown}:{number}: expected {len(header)} fields, "
                              f"found {len(values)}")
        rows.append((f"{shown}:{number}", dict(zip(header, values, strict=True))))


def _month_file(folder: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".json"):
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _text(row: dict, column: str, where: str) -> str:
    value = row.get(column)
    text = "" if value is None else str(value).strip()
    if not text:
        raise SourceError(f"{where}: {column} is empty")
    return text


class FileUsageSource:
    """License usage read from `<folder>/YYYY-MM.csv|json`."""

    def __init__(self, folder: Path, products: Mapping[str, Product], *,
                 root: Path | None = None) -> None:
        self.folder = folder
        self.root = root
        self._products = ProductMap(products)
        self.description = f"file {_display(folder, root)}"
        self._months = LoadedOnce(self._load)

    def usage(self, year: int, month: int) -> MonthUsage:
        return self._months(year, month)

    def _load(self, year: int, month: int) -> MonthUsage:
        stem = f"{year}-{month:02d}"
        path = _month_file(self.folder, stem)
        if path is None:
            raise SourceError(f"no usage file for {stem} "
                              f"({_display(self.folder / stem, self.root)}.csv or .json)")
        shown = _display(path, self.root)
        lines, rejected, unmapped = [], [], []
        for where, row in _read_rows(path, USAGE_COLUMNS, shown):
            # whose the row is must be readable: else it may be anyone's
            customer = _text(row, "customer_id", where)
            if len(customer) > MAX_FIELD or _NOT_UTF8.search(customer):
                raise SourceError(f"{where}: customer_id is unreadable, so the row may be "
                                  "any customer's")
            problem = _row_problem(row)
            product_text = str(row.get("product") or "").strip()
            if problem is None and not product_text:
                problem = "product is empty"
            plan = str(row.get("service_plan") or "").strip()
            match = (self._products.match(product_text, plan, keys=True)
                     if problem is None else None)
            if match is not None and match.rejected:
                rejected.append(RejectedLine(
                    customer, match.candidates,
                    unmapped_plan(product_text, plan, match.candidates), where))
                continue
            if match is not None and match.key is None and product_text:
                unmapped.append(UnmappedRow(  # a product this fleet does not bill
                    customer, product_text, plan, where))
                continue
            try:
                if problem is not None:
                    raise SourceError(f"{where}: {problem}")
                lines.append(UsageLine(
                    customer_id=customer,
                    product=match.key,  # type: ignore[union-attr,arg-type]
                    service_plan=plan,
                    unit=str(row.get("unit") or "").strip(),
                    provisioned=as_number(row.get("provisioned"), "provisioned", where),
                    used=as_number(row.get("used"), "used", where, optional=True),
                    origin=where,
                ))
            except SourceError as exc:  # this customer's billing fails, nobody else's
                products = ((match.key,) if match is not None and match.key
                            else self._products.keys())
                rejected.append(RejectedLine(customer, products, str(exc).removeprefix(
                    f"{where}: "), where))
        return MonthUsage(year, month, tuple(lines), source=self.description,
                          rejected=tuple(rejected), unmapped=tuple(unmapped))


class FileDetectionSource:
    """Detection counts read from `<folder>/<kind>/YYYY-MM.csv|json` (daily rows)."""

    def __init__(self, folder: Path, *, root: Path | None = None) -> None:
        self.folder = folder
        self.root = root
        self.description = f"file {_display(folder, root)}"
        # (kind, year, month) -> {customer_id: {date: {detection: count}}}
        self._months = LoadedOnce(self._load)
        # (kind, year, month) -> {customer_id: why its rows cannot be counted}
        self._broken: dict[tuple[str, int, int], dict[str, SourceError]] = {}

    def counts(self, kind: str, customer_id: str, start: date, end: date) -> dict[str, int]:
        """Counts per detection over start..end; MissingDays naming every day of the period
        the files do not have for this customer (a day without rows is not a zero)."""
        totals: dict[str, int] = {}
        missing: list[date] = []
        day = start
        while day <= end:
            month = self._month(kind, day.year, day.month)
            broken = self._broken.get((kind, day.year, day.month), {}).get(customer_id)
            if broken is not None:
                raise broken
            counts = month.get(customer_id, {}).get(day)
            if counts is None:
                missing.append(day)
            else:
                for detection, count in counts.items():
                    totals[detection] = totals.get(detection, 0) + count
            day += timedelta(days=1)
        if missing:
            raise MissingDays(
                f"no {kind} detection rows for customer {customer_id} on", missing,
                hint="export each day, a day with no detections as one row with count 0")
        return totals

    def _month(self, kind: str, year: int, month: int) -> dict:
        return self._months(kind, year, month)

    def _load(self, kind: str, year: int, month: int) -> dict:
        stem = f"{year}-{month:02d}"
        folder = self.folder / kind
        path = _month_file(folder, stem)
        if path is None:
            raise SourceError(f"no {kind} detection file for {stem} "
                              f"({_display(folder / stem, self.root)}.csv or .json)")
        shown = _display(path, self.root)
        data: dict[str, dict[date, dict[str, int]]] = {}
        origins: dict[tuple[str, date, str], str] = {}
        for where, row in _read_rows(path, DETECTION_COLUMNS, shown):
            customer = _text(row, "customer_id", where)
            if len(customer) > MAX_FIELD or _NOT_UTF8.search(customer):
                raise SourceError(f"{where}: customer_id is unreadable, so the row may be "
                                  "any customer's")
            if customer in self._broken.setdefault((kind, year, month), {}):
                continue  # its first bad row already says why its counts are unusable
            try:
                problem = _row_problem(row)
                if problem is not None:
                    raise SourceError(f"{where}: {problem}")
                day_text = _text(row, "date", where)
                try:
                    day = date.fromisoformat(day_text)
                except ValueError:
                    raise SourceError(f"{where}: date {day_text!r} is not YYYY-MM-DD"
                                      ) from None
                if (day.year, day.month) != (year, month):
                    raise SourceError(f"{where}: date {day_text} is outside {stem}")
                count = as_number(row.get("count"), "count", where, maximum=MAX_COUNT)
                detection = _text(row, "detection", where)
                seen = origins.setdefault((customer, day, detection.casefold()), where)
                if seen != where:
                    raise SourceError(f"{where}: {detection} of {day_text} is exported "
                                      f"twice (also at {seen}): not counted until one is "
                                      "removed")
            except SourceError as exc:  # this customer's summaries fail, nobody else's
                self._broken[(kind, year, month)][customer] = exc
                continue
            per_day = data.setdefault(customer, {}).setdefault(day, {})
            per_day[detection] = per_day.get(detection, 0) + int(count)
        return data
