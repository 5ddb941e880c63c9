"""Benchmark: `reconciler audit` over a year of sends of a generated fleet, against the
sandbox over loopback HTTP.

Generates N customers (monthly billing of wfbss, every third also cas, on days 1-28;
every fourth a weekly Hosted Email Security summary), their usage and detection files for
the year, the fleet committed to git before the year began, and a sandbox whose tickets
hold the year's sends as run-due writes them (the key in externalXRef, a summary ending
in the record's digest tag, the record line ending the first note, entered an hour after
each send was due) and whose additions hold the latest billed units. One customer in 50
missed a month's billing and another one in 50 had an addition's quantity edited by hand:
the findings the HTML report details. The sandbox runs in its own process (like a remote
ConnectWise, it does not share the audit's interpreter lock) with a fixed latency per
request; then, in the same run:
1. the audit (git, ConnectWise, sources, engine): requests against the minimum its reads
   allow (`reconciler.audit.gather.GatewayReads`), and wall time;
2. a naive baseline: per customer, sequentially, one request for its billings, one for
   its waivers, one per summary key prefix, one for its agreements and one per active
   agreement's additions (measured on a sample, scaled:
   each customer costs the same requests);
3. the reports' sizes: the HTML as rendered (only customers with findings detailed, see
   reconciler/audit/render/html.py) against every customer detailed (its former rule),
   and the markdown, JSON and CSV.
The client-side rate limit is off for both (it would cap both at 900 requests/min).
Usage: bench/audit [--customers N] [--latency-ms MS] [--baseline-sample N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work" / "audit"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from plan import CREDENTIALS, git, served  # noqa: E402  (bench/plan.py)

from reconciler.audit import gather as gathering  # noqa: E402
from reconciler.audit.engine import audit  # noqa: E402
from reconciler.audit.facts import AuditScope  # noqa: E402
from reconciler.audit.render import html as html_render  # noqa: E402
from reconciler.audit.render import render  # noqa: E402
from reconciler.config import load_fleet  # noqa: E402
from reconciler.connectwise import conditions as cond  # noqa: E402
from reconciler.connectwise.gateway import http as cw  # noqa: E402
from reconciler.domain import records  # noqa: E402
from reconciler.domain.keys import send_key  # noqa: E402
from reconciler.runtime import open_runtime  # noqa: E402
from reconciler.schedule import Clock, cadences  # noqa: E402

TZ, SEND_AT = "America/New_York", "06:00"
START, END = date(2026, 1, 1), date(2026, 12, 31)
AT = datetime(2027, 2, 15, 12, tzinfo=UTC)  # every period of 2026 due and sent by then
COMMITTED = "2025-12-01T09:00:00+00:00"  # when the fleet landed on main
DETECTIONS = ("spam", "phishing")
MISSED, EDITED = 7, 17  # customer i with i % 50 == these: a missed month, an edited addition
MISSED_MONTH = "2026-03"


def units(i: int, product: str, month: str) -> int:
    """Deterministic units, different per customer, product and month."""
    return 5 + (i * 7 + len(product) * 3 + int(month[-2:])) % 60


def day_counts(i: int, day: date) -> dict[str, int]:
    n = day.toordinal()
    return {"spam": (i + n) % 9, "phishing": (i * 3 + n) % 3}


def customer_file(i: int) -> tuple[str, str, list[str], bool]:
    """(file text, company, products, weekly HES) of customer i."""
    company = f"C{i:05d}"
    products = ["wfbss", "cas"] if i % 3 == 0 else ["wfbss"]
    hes = i % 4 == 0
    text = (f"name: Customer {i}\nconnectwise:\n  company: {company}\n"
            f"trend_micro:\n  customer_id: tm-{i:05d}\nintegration: enabled\nagreements:\n"
            + "".join(f"  {p}: default\n" for p in products)
            + f"settings: custom\ncustom:\n  billing:\n    day: {1 + i % 28}\n"
            f"    products: [{', '.join(products)}]\n")
    if hes:
        text += ("  hosted_email_security:\n    every: week\n"
                 f"    detections: [{', '.join(DETECTIONS)}]\n")
    return text, company, products, hes


def generate(root: Path, n: int) -> tuple[dict, dict]:
    """Write the fleet and its data under root, commit it; return the sandbox seed and
    what was generated."""
    (root / "customers").mkdir(parents=True)
    settings = (REPO / "reconciler.yaml").read_text()
    (root / "reconciler.yaml").write_text(settings.replace("timezone: America/New_York",
                                                          f"timezone: {TZ}"))
    base = yaml.safe_load((REPO / "reconciler" / "sandbox" / "seed.yaml").read_text())
    seed = {k: base[k] for k in ("seeded_at", "lookups", "agreement_types", "catalog",
                                 "boards", "priorities")}
    contact = base["lookups"]["contacts"][0]["name"]
    fleet = []
    for i in range(n):
        text, company, products, hes = customer_file(i)
        (root / "customers" / f"c{i:05d}.yaml").write_text(text)
        fleet.append((i, company, products, hes))
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    usage = root / "data" / "usage"
    usage.mkdir(parents=True)
    for month in months:
        rows = [f"tm-{i:05d},{p},Full,Seats,{units(i, p, month) + 2},{units(i, p, month)}"
                for i, _, products, _ in fleet for p in products]
        (usage / f"{month}.csv").write_text(
            "customer_id,product,service_plan,unit,provisioned,used\n" + "\n".join(rows) + "\n")
    detections = root / "data" / "detections" / "hosted_email_security"
    detections.mkdir(parents=True)
    by_month: dict[str, list[str]] = {}
    day = date(2025, 12, 1)
    while day <= date(2027, 1, 31):
        for i, _, _, hes in fleet:
            if hes:
                by_month.setdefault(f"{day:%Y-%m}", []).extend(
                    f"tm-{i:05d},{day},{d},{c}" for d, c in day_counts(i, day).items())
        day += timedelta(days=1)
    for month, rows in by_month.items():
        (detections / f"{month}.csv").write_text(
            "customer_id,date,detection,count\n" + "\n".join(rows) + "\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = COMMITTED
    try:
        git(root, "commit", "-qm", "The fleet")
    finally:
        del os.environ["GIT_AUTHOR_DATE"], os.environ["GIT_COMMITTER_DATE"]

    clock = Clock.of(TZ, SEND_AT)
    since = datetime.fromisoformat(COMMITTED)
    companies, agreements, tickets = [], [], []
    facts = {"tickets": 0, "faulty": 0}
    loaded = {c.company: c for c in load_fleet(root).customers}
    for i, company, products, _ in fleet:
        customer = loaded[company]
        companies.append({"id": 1000 + i, "identifier": company, "name": f"Customer {i}"})
        latest: dict[str, int] = {}
        for cadence in cadences(customer.policy):
            for period in cadence.due_between(since, AT, clock):
                if not START <= period.start <= END:
                    continue  # the year's sends only: its last billing is the latest
                if cadence.kind == "billing":
                    if i % 50 == MISSED and period.label == MISSED_MONTH:
                        continue
                    billed = {p: units(i, p, period.label) for p in products}
                    latest = billed  # periods come oldest first
                    key = send_key("billing", company, period.label)
                    record = records.billing_record(key, billed)
                    human = f"Trend Micro billing {period.label}: Customer {i}"
                else:
                    key = send_key(cadence.kind, company, period.label)
                    counts = {d: 0 for d in DETECTIONS}
                    day = period.start
                    while day <= period.end:
                        for d, c in day_counts(i, day).items():
                            counts[d] += c
                        day += timedelta(days=1)
                    record = records.summary_record(key, DETECTIONS, counts)
                    human = f"Hosted Email Security summary {period.label}: Customer {i}"
                entered = cadence.due(period, clock) + timedelta(hours=1)
                tickets.append({
                    "summary": records.tagged_summary(human, record), "company": company,
                    "board": "Trend Micro Billing", "status": "New",
                    "priority": "Priority 4 - Low", "externalXRef": key,
                    "_info": {"dateEntered": entered.astimezone(UTC).strftime(
                        "%Y-%m-%dT%H:%M:%SZ")},
                    "notes": [{"text": f"{human}\n\n{records.record_line(record)}",
                               "detailDescriptionFlag": True}]})
        quantities = {p: latest.get(p, 0) + (5 if i % 50 == EDITED else 0) for p in products}
        facts["faulty"] += i % 50 in (MISSED, EDITED)
        agreements.append({
            "id": 10_000 + i, "name": f"{company} Trend Micro", "type": "TMRM Management Solution",
            "company": company, "contact": contact, "billingCycle": "Monthly",
            "startDate": "2025-01-01",
            "additions": [{"product": {"wfbss": "TM-WFBSS", "cas": "TM-CAS"}[p],
                           "quantity": q, "billCustomer": "Billable",
                           "effectiveDate": "2025-01-01"} for p, q in quantities.items()]})
    seed.update(companies=companies, agreements=agreements, tickets=tickets)
    facts["tickets"] = len(tickets)
    return seed, facts


class Timed:
    """The audit's ConnectWise reads, timing each kind."""

    def __init__(self, reads) -> None:
        self.reads = reads
        self.spent: dict[str, float] = {}

    def __getattr__(self, name: str):
        found = getattr(self.reads, name)
        if name not in ("tickets_by_key_prefix", "additions", "ticket_note"):
            return found

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return found(*args, **kwargs)
            finally:
                label = {"tickets_by_key_prefix": "reading tickets",
                         "additions": "reading agreements and additions",
                         "ticket_note": "reading notes"}[name]
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - t0
        return timed


def naive(client, companies: list[str]) -> tuple[float, int]:
    """Per customer, sequentially: its billings, its waivers, one read per summary key
    prefix, its agreements, each active agreement's additions."""
    before = client.request_count
    t0 = time.perf_counter()
    for company in companies:
        for prefix in gathering.COMPANY_PREFIXES:  # the company's billings, its waivers
            client.list(cw.TICKETS, conditions=cond.and_(
                cond.eq("company/identifier", company),
                cond.like("externalXRef", f"{prefix}%")), fields=cw.TICKET_FIELDS)
        for prefix in gathering.key_prefixes([company], START, END):
            client.list(cw.TICKETS, conditions=cond.like("externalXRef", f"{prefix}%"),
                        fields=cw.TICKET_FIELDS)
        for ag in client.list(cw.AGREEMENTS, conditions=cond.eq("company/identifier", company),
                              fields=cw.AGREEMENT_FIELDS):
            if ag.get("agreementStatus") == "Active" and not ag.get("cancelledFlag"):
                client.list(cw.additions_path(ag["id"]), fields=cw.ADDITION_FIELDS)
    return time.perf_counter() - t0, client.request_count - before


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--baseline-sample", type=int, default=50,
                    help="customers the naive baseline runs on (0: all), scaled linearly")
    args = ap.parse_args()
    n = args.customers
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    root = WORK / "fleet"
    t0 = time.perf_counter()
    seed, facts = generate(root, n)
    print(f"generated {n} customers, {facts['tickets']} tickets of 2026's sends "
          f"({facts['faulty']} customers with a fault) in {time.perf_counter() - t0:.1f}s; "
          f"sandbox latency {args.latency_ms} ms/request", flush=True)
    os.environ.update(CREDENTIALS)
    t0 = time.perf_counter()
    with served(seed, args.latency_ms, WORK) as url:
        print(f"sandbox up in {time.perf_counter() - t0:.1f}s", flush=True)
        settings = root / "reconciler.yaml"
        settings.write_text(settings.read_text().replace("url: sandbox", f"url: {url}"))
        options = {"rate_limit_per_minute": None}
        scope = AuditScope(START, END, AT)

        # 1. the audit
        with open_runtime(root, client_options=options) as rt:
            t0 = time.perf_counter()
            reads = Timed(gathering.open_connectwise_reads(rt.gateway))
            found = gathering.gather(rt.root, scope, connectwise=reads, usage=rt.usage,
                                     detections=rt.detections)
            gathered = time.perf_counter() - t0
            report = replace(audit(found, scope), requests=reads.cost())
            audit_s = time.perf_counter() - t0
        cost = report.requests
        kinds = ", ".join(f"{k} {v}" for k, v in report.counts_by_kind().items())
        print(f"\naudit of {len(report.customers)} customers, {len(report.rows)} periods: "
              f"{len(report.findings)} findings ({kinds})")
        print(f"  requests made  {cost.made}")
        print(f"  minimum        {cost.minimum} = "
              + " + ".join(f"{v} {k}" for k, v in cost.parts.items()))
        print(f"  ratio          {cost.made / cost.minimum:.3f}x the minimum")
        print(f"  wall           {audit_s:.2f}s ({gathered:.2f}s gathering git, ConnectWise "
              f"and the sources; {audit_s - gathered:.2f}s the engine with its on-demand reads)")
        print("  of which       "
              + ", ".join(f"{s:.2f}s {name}" for name, s in reads.spent.items()))

        # 2. the naive baseline
        companies = [f"C{i:05d}" for i in range(n)]
        sample = companies if args.baseline_sample <= 0 else companies[:args.baseline_sample]
        with open_runtime(root, client_options={**options, "concurrency": 1}) as rt:
            client = rt.gateway.client
            _ = client.codebase  # discovery outside the timing
            naive_s, naive_req = naive(client, sample)
        scale = n / len(sample)
        naive_s, naive_req = naive_s * scale, naive_req * scale
        label = "measured" if len(sample) == n else f"measured on {len(sample)}, scaled x{scale:g}"
        print(f"\nnaive per-customer sequential baseline ({label}):")
        print(f"  requests       {naive_req:.0f}   ({naive_req / cost.made:.1f}x ours)")
        print(f"  wall           {naive_s:.1f}s  ({naive_s / audit_s:.1f}x ours)")

    # 3. the reports' sizes
    sizes = {}
    for fmt in ("html", "markdown", "json", "csv"):
        t0 = time.perf_counter()
        sizes[fmt] = (len(render(report, fmt).encode()), time.perf_counter() - t0)
    detailed = len([c for c in report.customers if c.findings])
    html_render.DETAIL_ALL = len(report.customers)  # the former rule: everyone in full
    t0 = time.perf_counter()
    everyone = len(html_render.render_html(report, budget=10**12).encode())
    everyone_s = time.perf_counter() - t0
    print("\nreport sizes:")
    print(f"  html           {sizes['html'][0] / 1e6:.2f} MB in {sizes['html'][1]:.1f}s "
          f"({detailed} customers with findings detailed, the others one line each; "
          f"budget {html_render.SIZE_BUDGET / 1e6:.0f} MB)")
    print(f"  html, everyone {everyone / 1e6:.2f} MB in {everyone_s:.1f}s "
          f"({everyone / sizes['html'][0]:.0f}x larger)")
    for fmt in ("markdown", "json", "csv"):
        print(f"  {fmt:<14} {sizes[fmt][0] / 1e6:.2f} MB")
    print(f"\nsummary: requests {cost.made}/{cost.minimum} = {cost.made / cost.minimum:.2f}x "
          f"minimum; wall {audit_s:.1f}s vs naive {naive_s:.1f}s = {naive_s / audit_s:.1f}x "
          f"faster; html {sizes['html'][0] / 1e6:.2f} MB vs {everyone / 1e6:.1f} MB with "
          "every customer detailed")


if __name__ == "__main__":
    main()
