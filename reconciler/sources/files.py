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
rows are errors naming file:line (JSON: file and item number).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from reconciler.config.model import Product
from reconciler.sources.model import (
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


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def _read_rows(path: Path, columns: tuple[str, ...], shown: str) -> list[tuple[str, dict]]:
    """(location, row) pairs from a CSV (header required) or JSON list file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{shown}: cannot read: {exc}") from None
    if path.suffix == ".json":
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
    header = next(reader, None)
    if header is None:
        raise SourceError(f"{shown}:1: empty file (expected header {','.join(columns)})")
    header = [h.strip() for h in header]
    missing = [c for c in columns if c not in header]
    if missing:
        raise SourceError(f"{shown}:1: header lacks column(s) {', '.join(missing)} "
                          f"(expected {','.join(columns)})")
    rows = []
    for number, values in enumerate(reader, 2):
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise SourceError(f"{shown}:{number}: expected {len(header)} fields, "
                              f"found {len(values)}")
        rows.append((f"{shown}:{number}", dict(zip(header, values, strict=True))))
    return rows


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


def _cached(cache: dict, key: tuple, load: Callable[..., Any]) -> Any:
    """`load(*key)`, read once per source: a file that failed keeps failing the same way
    (every customer billed from it gets the same error) without being parsed again."""
    if key not in cache:
        try:
            cache[key] = load(*key)
        except SourceError as exc:
            cache[key] = exc
    found = cache[key]
    if isinstance(found, SourceError):
        raise found
    return found


class FileUsageSource:
    """License usage read from `<folder>/YYYY-MM.csv|json`."""

    def __init__(self, folder: Path, products: Mapping[str, Product], *,
                 root: Path | None = None) -> None:
        self.folder = folder
        self.root = root
        self._products = ProductMap(products)
        self.description = f"file {_display(folder, root)}"
        self._cache: dict[tuple[int, int], MonthUsage | SourceError] = {}

    def usage(self, year: int, month: int) -> MonthUsage:
        return _cached(self._cache, (year, month), self._load)

    def _load(self, year: int, month: int) -> MonthUsage:
        stem = f"{year}-{month:02d}"
        path = _month_file(self.folder, stem)
        if path is None:
            raise SourceError(f"no usage file for {stem} "
                              f"({_display(self.folder / stem, self.root)}.csv or .json)")
        shown = _display(path, self.root)
        lines, rejected, unmapped = [], [], []
        for where, row in _read_rows(path, USAGE_COLUMNS, shown):
            product_text = _text(row, "product", where)
            plan = str(row.get("service_plan") or "").strip()
            match = self._products.match(product_text, plan, keys=True)
            if match.rejected:
                rejected.append(RejectedLine(
                    _text(row, "customer_id", where), match.candidates,
                    unmapped_plan(product_text, plan, match.candidates), where))
                continue
            if match.key is None:
                unmapped.append(UnmappedRow(  # a product this fleet does not bill
                    str(row.get("customer_id") or "").strip(), product_text, plan, where))
                continue
            lines.append(UsageLine(
                customer_id=_text(row, "customer_id", where),
                product=match.key,
                service_plan=plan,
                unit=str(row.get("unit") or "").strip(),
                provisioned=as_number(row.get("provisioned"), "provisioned", where),
                used=as_number(row.get("used"), "used", where, optional=True),
                origin=where,
            ))
        return MonthUsage(year, month, tuple(lines), source=self.description,
                          rejected=tuple(rejected), unmapped=tuple(unmapped))


class FileDetectionSource:
    """Detection counts read from `<folder>/<kind>/YYYY-MM.csv|json` (daily rows)."""

    def __init__(self, folder: Path, *, root: Path | None = None) -> None:
        self.folder = folder
        self.root = root
        self.description = f"file {_display(folder, root)}"
        # (kind, year, month) -> {customer_id: {date: {detection: count}}}
        self._cache: dict[tuple[str, int, int], dict | SourceError] = {}

    def counts(self, kind: str, customer_id: str, start: date, end: date) -> dict[str, int]:
        """Counts per detection over start..end; MissingDays naming every day of the period
        the files do not have for this customer (a day without rows is not a zero)."""
        totals: dict[str, int] = {}
        missing: list[date] = []
        day = start
        while day <= end:
            counts = self._month(kind, day.year, day.month).get(customer_id, {}).get(day)
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
        return _cached(self._cache, (kind, year, month), self._load)

    def _load(self, kind: str, year: int, month: int) -> dict:
        stem = f"{year}-{month:02d}"
        folder = self.folder / kind
        path = _month_file(folder, stem)
        if path is None:
            raise SourceError(f"no {kind} detection file for {stem} "
                              f"({_display(folder / stem, self.root)}.csv or .json)")
        shown = _display(path, self.root)
        data: dict[str, dict[date, dict[str, int]]] = {}
        for where, row in _read_rows(path, DETECTION_COLUMNS, shown):
            day_text = _text(row, "date", where)
            try:
                day = date.fromisoformat(day_text)
            except ValueError:
                raise SourceError(f"{where}: date {day_text!r} is not YYYY-MM-DD") from None
            if (day.year, day.month) != (year, month):
                raise SourceError(f"{where}: date {day_text} is outside {stem}")
            count = as_number(row.get("count"), "count", where)
            if not float(count).is_integer():
                raise SourceError(f"{where}: count {row.get('count')!r} is not a whole number")
            detection = _text(row, "detection", where)
            per_day = data.setdefault(_text(row, "customer_id", where), {}).setdefault(day, {})
            per_day[detection] = per_day.get(detection, 0) + int(count)
        return data
