"""Benchmark: how run-due finds what is due, against the sandbox over loopback HTTP.

Generates N customers (daily HES, weekly EMS, monthly billing) and a sandbox whose
tickets hold 140 days of their history (the latest period of each customer-kind left
unsent, so every customer has something due), serves it on 127.0.0.1 with a fixed
latency per request, and in the same run measures:
1. `find_due` as run-due does it: the customers' companies (the keys' canonical
   identifiers) and marks, then what was sent over two 62-day look-backs (the window and
   the span where an owed period becomes missed) in few listings (a `like` prefix per
   month and ISO week-year, OR-ed under the URL budget, see reconciler/sends/window.py),
   plus one history listing where a pair's span does not start covered (none here);
2. a naive baseline: one `externalXRef = key` request per candidate key (measured on a
   sample of customers and scaled: each customer has the same number of keys).
Prints requests and wall time of both and their ratios. The sandbox indexes
`externalXRef` for `=`, `in` and prefix `like`, as a real server's lookup would be; the
request ratio is still the number to read, since latency per request dominates there.
Usage: bench/run-due [--customers N] [--latency-ms MS] [--baseline-sample N]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reconciler.config.model import BillingPolicy, Customer, Policy, SummaryPolicy  # noqa: E402
from reconciler.connectwise import ConnectWiseClient, Credentials  # noqa: E402
from reconciler.connectwise import conditions as cond  # noqa: E402
from reconciler.connectwise.gateway import HttpGateway  # noqa: E402
from reconciler.domain.keys import send_key  # noqa: E402
from reconciler.sandbox import Faults, create_app, serve  # noqa: E402
from reconciler.schedule import Clock, cadences  # noqa: E402
from reconciler.sends.due import find_due  # noqa: E402

CREDS = Credentials("sandbox", "sandbox-public", "sandbox-private",
                    "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42")
CLOCK = Clock.of("America/New_York", "06:00")
AT = datetime(2026, 11, 25, 12, tzinfo=CLOCK.tz)
LOOKBACK = 62


def customers(n: int) -> list[Customer]:
    policy = Policy(billing=BillingPolicy(1, ("wfbss",)),
                    hosted_email_security=SummaryPolicy("day", ("spam",)),
                    email_security=SummaryPolicy("week", ("spam",), "standard"))
    return [Customer(f"c{i:05d}", f"customers/c{i:05d}.yaml", f"Customer {i}", f"C{i:05d}",
                     f"tm-{i}", True, "custom", {}, policy) for i in range(n)]


def seed(fleet: list[Customer]) -> dict:
    base = yaml.safe_load((REPO / "reconciler" / "sandbox" / "seed.yaml").read_text())
    data = {k: base[k] for k in ("seeded_at", "lookups", "agreement_types", "catalog",
                                 "boards", "priorities")}
    data["companies"] = [{"id": 1000 + i, "identifier": c.company, "name": c.name}
                         for i, c in enumerate(fleet)]
    tickets = []
    for c in fleet:
        for cadence in cadences(c.policy):
            periods = cadence.due_between(AT - timedelta(days=140), AT, CLOCK)
            for period in periods[:-1]:  # the latest is due: leave it unsent
                tickets.append({"summary": f"{cadence.kind} {period.label}", "company": c.company,
                                "board": "Trend Micro Billing", "status": "New",
                                "priority": "Priority 4 - Low",
                                "externalXRef": send_key(cadence.kind, c.company, period.label)})
    data["tickets"] = tickets
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description="run-due: bulk key reads vs one per key")
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--baseline-sample", type=int, default=5)
    args = parser.parse_args()
    fleet = customers(args.customers)
    print(f"generating {len(fleet)} customers and their ticket history ...", file=sys.stderr)
    app = create_app(seed=seed(fleet), faults=Faults(latency_ms=args.latency_ms))
    with serve(app) as url:
        client = ConnectWiseClient(url, CREDS, rate_limit_per_minute=None)
        client.get("/system/info")  # discovery and connection set-up outside the timing
        before = client.request_count
        start = time.perf_counter()
        plan = find_due(HttpGateway(client), fleet, CLOCK, AT, LOOKBACK)
        bulk_time = time.perf_counter() - start
        bulk_requests = client.request_count - before
        due = sum(1 for s in plan.sends if s.status == "send")
        keys_per_customer = sum(
            len(cad.due_between(AT - timedelta(days=LOOKBACK), AT, CLOCK))
            for cad in cadences(fleet[0].policy))
        before = client.request_count
        start = time.perf_counter()
        for c in fleet[: args.baseline_sample]:
            for cadence in cadences(c.policy):
                for period in cadence.due_between(AT - timedelta(days=LOOKBACK), AT, CLOCK):
                    client.list("/service/tickets", fields="id,externalXRef", conditions=cond.eq(
                        "externalXRef", send_key(cadence.kind, c.company, period.label)))
        scale = len(fleet) / args.baseline_sample
        naive_time = (time.perf_counter() - start) * scale
        naive_requests = (client.request_count - before) * scale
    print(f"fleet: {len(fleet)} customers, {keys_per_customer} candidate keys each "
          f"({keys_per_customer * len(fleet)} in all), {due} sends due, "
          f"latency {args.latency_ms} ms/request")
    print(f"run-due (bulk):  {bulk_requests:6d} requests  {bulk_time:7.2f} s")
    print(f"naive (per key): {naive_requests:6.0f} requests  {naive_time:7.2f} s "
          f"(scaled from {args.baseline_sample} customers)")
    print(f"ratio: {naive_requests / bulk_requests:.0f}x fewer requests, "
          f"{naive_time / bulk_time:.1f}x faster")


if __name__ == "__main__":
    main()
