"""Benchmark: `reconciler plan` on a generated fleet against the sandbox over loopback HTTP.

Generates N customers (files + a matching sandbox seed: a default TMRM agreement per
company, every third company also an explicit Managed Service agreement, every tenth an
expired one, unmanaged labour additions everywhere, 2% of customers drifted, plus a few
companies without a file), serves the sandbox on 127.0.0.1 (its own process) with a fixed
latency per request, then in the same run measures:
1. the real plan (bulk reads, chunked `in (...)`, bounded concurrency): requests made
   against the minimum of DESIGN's formula, and wall time. The minimum counts the read of
   the desired quantities: each planned company's billing tickets, chunked like the
   companies (`company/identifier in (...)` and a key prefix); a note is read only for a
   company whose additions disagree with its latest billing's digest, so a fleet without
   drift adds exactly those chunks;
2. a naive baseline: per customer, sequentially, GET the company, GET its agreements, GET
   the additions of each active agreement (measured on a sample, scaled linearly: each
   customer costs the same requests, so the full baseline is linear in the fleet);
3. `--changed-since` with one customer file changed in a git repo: requests and time.
The client-side rate limit is off for both plans (it would cap both at 900 requests/min;
the request ratio is what it would then multiply).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work" / "plan"
sys.path.insert(0, str(REPO))

from reconciler.config import load_fleet  # noqa: E402
from reconciler.connectwise import conditions as c  # noqa: E402
from reconciler.connectwise.gateway import http as cw  # noqa: E402
from reconciler.domain import records  # noqa: E402
from reconciler.domain.billed import BILLING_KEYS  # noqa: E402
from reconciler.domain.selection import select  # noqa: E402
from reconciler.gitrefs import changed_files  # noqa: E402
from reconciler.plan.service import make_plan  # noqa: E402
from reconciler.runtime import open_runtime  # noqa: E402

CREDENTIALS = {
    "CW_COMPANY_ID": "sandbox",
    "CW_PUBLIC_KEY": "sandbox-public",
    "CW_PRIVATE_KEY": "sandbox-private",
    "CW_CLIENT_ID": "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42",
}


def generate(root: Path, n: int, unmanaged: int) -> tuple[dict, dict]:
    """Write the fleet under root; return the sandbox seed and facts for the minimum."""
    base = yaml.safe_load((REPO / "reconciler" / "sandbox" / "seed.yaml").read_text())
    seed = {k: base[k] for k in ("seeded_at", "lookups", "agreement_types", "catalog",
                                 "boards", "priorities")}
    tickets: list[dict] = []
    contact = base["lookups"]["contacts"][0]["name"]
    companies, agreements = [], []
    facts = {"agreements": 0, "in_play": 0, "scan_agreements": 0, "scan_outside": 0,
             "drifted": 0}
    customers = root / "customers"
    customers.mkdir(parents=True)
    shutil.copy(REPO / "reconciler.yaml", root / "reconciler.yaml")
    next_id = {"company": 1000, "agreement": 10_000}

    def company(identifier: str, name: str) -> None:
        next_id["company"] += 1
        companies.append({"id": next_id["company"], "identifier": identifier, "name": name})

    def agreement(ident: str, type_: str, name: str, adds: list, **extra) -> None:
        next_id["agreement"] += 1
        agreements.append({"id": next_id["agreement"], "name": name, "type": type_,
                           "company": ident, "contact": contact, "billingCycle": "Monthly",
                           "startDate": "2025-01-01", "additions": adds, **extra})

    def add(item: str, **extra) -> dict:
        return {"product": item, "quantity": 10, "billCustomer": "Billable",
                "effectiveDate": "2025-01-01", **extra}

    for i in range(n):
        ident = f"C{i:05d}"
        company(ident, f"Customer {i}")
        drifted = i % 50 == 7
        tm_adds = [add("LAB-REMOTE")] + ([] if drifted else [add("TM-WFBSS")])
        agreement(ident, "TMRM Management Solution", f"{ident} Trend Micro", tm_adds)
        facts["agreements"] += 1
        facts["in_play"] += 1
        facts["scan_agreements"] += 1
        products, mapping = ["wfbss"], ""
        if i % 3 == 0:
            agreement(ident, "Managed Service", f"{ident} Email", [add("TM-HES"), add("M365-BP")])
            facts["agreements"] += 1
            facts["in_play"] += 1
            facts["scan_agreements"] += 1
            products.append("hes")
            mapping = f"  hes:\n    type: Managed Service\n    name: {ident} Email\n"
        if i % 10 == 0:
            agreement(ident, "TMRM Management Solution", f"{ident} Old", [],
                      endDate="2024-12-31", agreementStatus="Expired")
            facts["agreements"] += 1
        # October's billing, as run-due writes it (contract 1): the additions hold its
        # units, so its digest matches; a drifted customer lacks an addition, so its note
        # is read (one request) to learn the units the new addition starts with
        key = f"tmrm:billing:{ident}:2026-10"
        record = records.billing_record(key, dict.fromkeys(products, 10))
        tickets.append({"summary": records.tagged_summary(f"Trend Micro billing 2026-10: {i}",
                                                          record),
                        "company": ident, "board": "Trend Micro Billing", "status": "New",
                        "priority": "Priority 4 - Low", "externalXRef": key,
                        # the note a POST's initialDescription becomes (seeds take notes)
                        "notes": [{"text": "units\n" + records.record_line(record),
                                   "detailDescriptionFlag": True}]})
        facts["drifted"] += drifted
        (customers / f"c{i:05d}.yaml").write_text(
            f"name: Customer {i}\nconnectwise:\n  company: {ident}\n"
            f"trend_micro:\n  customer_id: tm-{i:05d}\nintegration: enabled\n"
            f"agreements:\n  wfbss: default\n{mapping}"
            f"settings: custom\ncustom:\n  billing:\n    day: {1 + i % 28}\n"
            f"    products: [{', '.join(products)}]\n"
        )
    for j in range(unmanaged):
        ident = f"U{j:04d}"
        company(ident, f"Unmanaged {j}")
        agreement(ident, "TMRM Management Solution", f"{ident} Trend Micro", [add("TM-WFBSS")])
        facts["scan_agreements"] += 1
        facts["scan_outside"] += 1
    seed["companies"] = companies
    seed["agreements"] = agreements
    seed["tickets"] = tickets
    return seed, facts


def naive(client, fleet, sample: int) -> tuple[float, int, int]:
    """Per customer, sequentially: company, agreements, additions of each active one."""
    customers = fleet.customers[:sample]
    start_requests = client.request_count
    t0 = time.perf_counter()
    for customer in customers:
        found = client.list(cw.COMPANIES, conditions=c.eq("identifier", customer.company))
        for company in found:
            ags = client.list(cw.AGREEMENTS, conditions=c.eq("company/id", company["id"]))
            for ag in ags:
                if ag.get("agreementStatus") == "Active" and not ag.get("cancelledFlag"):
                    client.list(cw.additions_path(ag["id"]))
    return time.perf_counter() - t0, client.request_count - start_requests, len(customers)


def _seed_datetime(value: object) -> str:
    """Dates and datetimes (a YAML seed's seeded_at) as ConnectWise writes them, in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00Z"
    raise TypeError(f"{type(value).__name__} in a seed")


@contextlib.contextmanager
def served(seed: dict, latency_ms: int, work: Path = WORK):
    """`reconciler sandbox serve` in its own process (like a remote ConnectWise, it does
    not share the client's interpreter lock), its seed written under `work`; yields its
    base URL."""
    seed_file = work / "seed.yaml"
    # JSON is YAML too, and far quicker to write and read for a big seed
    seed_file.write_text(json.dumps(seed, default=_seed_datetime))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", str(port),
         "--seed", str(seed_file), "--latency-ms", str(latency_ms)],
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the sandbox did not start: "
                                 + (proc.stderr.read().decode() if proc.stderr else ""))
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench", *args],
                   cwd=root, check=True, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--unmanaged", type=int, default=20, help="companies without a file")
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--baseline-sample", type=int, default=200,
                    help="customers the naive baseline runs on (0: all), scaled linearly")
    args = ap.parse_args()
    n = args.customers
    shutil.rmtree(WORK, ignore_errors=True)
    root = WORK / "fleet"
    t0 = time.perf_counter()
    seed, facts = generate(root, n, args.unmanaged)
    print(f"generated {n} customers + {args.unmanaged} unmanaged companies "
          f"({facts['agreements']} agreements, {facts['in_play']} in play) "
          f"in {time.perf_counter() - t0:.1f}s; sandbox latency {args.latency_ms} ms/request")
    os.environ.update(CREDENTIALS)
    with served(seed, args.latency_ms) as url:
        settings_file = root / "reconciler.yaml"
        settings_file.write_text(settings_file.read_text().replace("url: sandbox", f"url: {url}"))
        t0 = time.perf_counter()
        fleet = load_fleet(root)
        load_s = time.perf_counter() - t0
        print(f"load_fleet: {len(fleet.customers)} files in {load_s:.2f}s")
        options = {"rate_limit_per_minute": None}
        now = datetime.now(UTC)

        # 1. the real plan (whole fleet, so the unmanaged scan runs too)
        with open_runtime(root, partial=False, client_options=options) as rt:
            t0 = time.perf_counter()
            plan = make_plan(fleet, rt.gateway, select(fleet), now=now)
            plan_s = time.perf_counter() - t0
            made = rt.gateway.request_count
            client = rt.gateway.client
            company_chunks = len(client.in_chunks(cw.COMPANIES, "identifier",
                                                  [x.company for x in fleet.customers],
                                                  fields=cw.COMPANY_FIELDS))
            fleet_ids = [x["id"] for x in seed["companies"][:n]]
            id_chunks = len(client.in_chunks(cw.AGREEMENTS, "company/id", fleet_ids,
                                             fields=cw.AGREEMENT_FIELDS))
            # the desired quantities: every planned company's billing tickets, chunked
            # like the companies (one October billing each: one page per chunk)
            ticket_chunks = len(client.in_chunks(
                cw.TICKETS, "company/identifier", [x.company for x in fleet.customers],
                conditions=cw.key_prefix_condition([BILLING_KEYS]), fields=cw.TICKET_FIELDS))
        agreement_reads = max(id_chunks, math.ceil(facts["agreements"] / 1000))
        scan = math.ceil(facts["scan_agreements"] / 1000) + facts["scan_outside"]
        minimum = (1 + company_chunks + agreement_reads + facts["in_play"] + ticket_chunks
                   + facts["drifted"] + scan)
        counts = plan.counts()
        print(f"\nplan: {counts['create']} creates, {counts['update']} updates, "
              f"{counts['cancel']} cancels, {len(plan.errors)} errors, "
              f"{len(plan.warnings)} warnings")
        print(f"  requests made  {made}")
        print(f"  minimum        {minimum} = 1 discovery + {company_chunks} company chunks + "
              f"{agreement_reads} agreement reads + {facts['in_play']} agreements in play + "
              f"{ticket_chunks} billing-ticket chunks + {facts['drifted']} notes of "
              f"drifted companies + {scan} unmanaged scan")
        print(f"  ratio          {made / minimum:.3f}x the minimum")
        print(f"  wall           {plan_s:.2f}s")

        # 2. the naive sequential baseline, same server, same latency
        sample = n if args.baseline_sample <= 0 else min(n, args.baseline_sample)
        with open_runtime(root, client_options={**options, "concurrency": 1}) as rt:
            client = rt.gateway.client
            _ = client.codebase  # discovery outside the timing, as for a long-lived client
            naive_s, naive_req, done = naive(client, fleet, sample)
        scale = n / done
        naive_full_s, naive_full_req = naive_s * scale, naive_req * scale
        label = "measured" if done == n else f"measured on {done}, scaled x{scale:g}"
        print(f"\nnaive per-customer sequential baseline ({label}):")
        print(f"  requests       {naive_full_req:.0f}   ({naive_full_req / made:.1f}x ours)")
        print(f"  wall           {naive_full_s:.1f}s  ({naive_full_s / plan_s:.1f}x ours)")

        # 3. --changed-since with one changed customer
        git(root, "init", "-q", "-b", "main")
        git(root, "add", ".")
        git(root, "commit", "-qm", "fleet")
        changed = root / "customers" / f"c{n // 2:05d}.yaml"
        changed.write_text(changed.read_text().replace("day:", "day: 2 #"))
        t0 = time.perf_counter()
        paths = changed_files(root, "HEAD")
        fleet2 = load_fleet(root)
        selection = select(fleet2, changed_paths=paths)
        with open_runtime(root, client_options=options) as rt:
            t1 = time.perf_counter()
            make_plan(fleet2, rt.gateway, selection, now=now)
            plan_one_s = time.perf_counter() - t1
            one_req = rt.gateway.request_count
        total_one_s = time.perf_counter() - t0
        print(f"\n--changed-since HEAD with 1 of {n} customer files changed:")
        print(f"  customers      {len(selection.enabled)} planned")
        print(f"  requests       {one_req} (whole fleet: {made}; independent of fleet size: "
              "discovery + company + agreements + that company's agreements in play + its "
              "billing tickets)")
        print(f"  wall           {plan_one_s:.2f}s plan, {total_one_s:.2f}s with git diff and "
              "loading the fleet")
        print(f"\nsummary: requests {made}/{minimum} = {made / minimum:.2f}x minimum; "
              f"wall {plan_s:.1f}s vs naive {naive_full_s:.1f}s = "
              f"{naive_full_s / plan_s:.1f}x faster; changed-since {one_req} requests")


if __name__ == "__main__":
    main()
