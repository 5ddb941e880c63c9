"""Regenerate the example fleet's usage and detection files (deterministic).

    .venv/bin/python data/generate.py [--from 2026-09] [--to 2026-12]

Reads reconciler.yaml and customers/*.yaml and writes
- data/usage/YYYY-MM.csv: one line per customer, billed product and service plan
  (provisioned, and used where Trend Micro reports it). Months the embedded sandbox's LMPI
  report holds (`lmpi_usage` in reconciler/sandbox/seed.yaml) are copied from it, so the
  file and LMPI sources bill the same units; other months are generated;
- data/detections/<kind>/YYYY-MM.csv: daily counts per customer and detection name for
  the customers whose policy sends that summary; every day has a row (a day without
  detections one row with count 0: a day without rows would be a missing day).
Numbers come from a seeded generator keyed by customer and month, so a rerun writes the
same bytes, and month-to-month changes stay well inside the billing guardrail.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import random
from datetime import date, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("hosted_email_security", "email_security")
# Plans whose usage Trend Micro does not report (provisioned is billed instead).
UNREPORTED = {"cas"}
# Typical daily volume per detection, so the summaries look plausible.
SCALE = {"spam": 400, "phishing": 40, "virus": 6, "malware": 12, "malware_ml": 5,
         "ransomware": 2, "bec": 4, "blocked": 150, "suspicious_files": 8,
         "analyzed_advanced_threats": 3, "probable_advanced_threats": 2}


def months(start: str, end: str) -> list[tuple[int, int]]:
    y, m = map(int, start.split("-"))
    y2, m2 = map(int, end.split("-"))
    out = []
    while (y, m) <= (y2, m2):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def load(root: Path) -> tuple[dict, list[dict]]:
    settings = yaml.safe_load((root / "reconciler.yaml").read_text())
    customers = []
    for path in sorted((root / "customers").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        policy = doc.get("custom") if doc.get("settings") == "custom" else None
        doc["_policy"] = policy if policy is not None else settings.get("notifications", {})
        customers.append(doc)
    return settings, customers


def seed_usage(root: Path) -> dict[str, list[list]]:
    """The sandbox LMPI report rows per month, as usage file rows."""
    path = root / "reconciler" / "sandbox" / "seed.yaml"
    if not path.is_file():
        return {}
    seed = yaml.safe_load(path.read_text())
    # the report names customers; the usage files use the customer id LMPI gives that name
    ids = {c["name"]: c["customer_id"] for c in seed.get("lmpi_customers") or []}
    rows: dict[str, list[list]] = {}
    for item in seed.get("lmpi_usage") or []:
        used = item.get("used")
        rows.setdefault(str(item["month"]), []).append([
            ids[item["customer"]], item["product_name"], item.get("service_plan", ""),
            item.get("unit", ""), item["provisioned"], "" if used is None else used])
    return rows


def usage_rows(settings: dict, customer: dict, year: int, month: int) -> list[list]:
    cid = customer["trend_micro"]["customer_id"]
    billing = customer["_policy"].get("billing") or {}
    rows = []
    for product in billing.get("products", []):
        base = random.Random(f"{cid}:{product}").randint(12, 180)
        # a gentle drift, at most about 8% a month
        drift = random.Random(f"{cid}:{product}:{year}-{month}").uniform(-0.08, 0.08)
        months_since = (year - 2026) * 12 + month - 9
        provisioned = max(1, round(base * (1 + 0.02 * months_since) * (1 + drift)))
        name = settings["products"][product]["name"]
        plans = [("Full", provisioned)]
        if product == "apex-one":  # two plans: the billed amount is their sum
            plans = [("Full", provisioned), ("Trial", max(1, provisioned // 10))]
        for plan, amount in plans:
            used = "" if product in UNREPORTED else max(
                0, amount - random.Random(f"{cid}:{product}:{plan}:{year}-{month}").randint(0, 3))
            rows.append([cid, name, plan, "Seats" if product != "hes" else "Mailboxes",
                         amount, used])
    return rows


def detection_rows(settings: dict, customer: dict, kind: str, year: int, month: int) -> list:
    if not customer["_policy"].get(kind):
        return []
    names = settings["detections"][kind]
    if isinstance(names, dict):  # email_security: every edition's names
        names = sorted({n for group in names.values() for n in group})
    cid = customer["trend_micro"]["customer_id"]
    rows = []
    day = date(year, month, 1)
    while day.month == month:
        rng = random.Random(f"{cid}:{kind}:{day.isoformat()}")
        before = len(rows)
        for name in names:
            count = rng.randint(0, SCALE.get(name, 10))
            if count:
                rows.append([cid, day.isoformat(), name, count])
        if len(rows) == before:  # exported, nothing detected: say so, it is not missing
            rows.append([cid, day.isoformat(), names[0], 0])
        day += timedelta(days=1)
    return rows


def write(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--from", dest="start", default="2026-09")
    parser.add_argument("--to", dest="end", default="2026-12")
    args = parser.parse_args()
    settings, customers = load(args.root)
    seeded = seed_usage(args.root)
    for year, month in months(args.start, args.end):
        stem = f"{year}-{month:02d}"
        usage = seeded.get(stem) or [
            row for c in customers for row in usage_rows(settings, c, year, month)]
        write(args.root / "data" / "usage" / f"{stem}.csv",
              ["customer_id", "product", "service_plan", "unit", "provisioned", "used"], usage)
        for kind in KINDS:
            rows = [row for c in customers
                    for row in detection_rows(settings, c, kind, year, month)]
            write(args.root / "data" / "detections" / kind / f"{stem}.csv",
                  ["customer_id", "date", "detection", "count"], rows)
        print(f"{stem}: {len(usage)} usage lines, {calendar.monthrange(year, month)[1]} days")


if __name__ == "__main__":
    main()
