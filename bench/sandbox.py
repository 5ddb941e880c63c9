"""Benchmark: the sandbox's own cost per request, with and without its fast paths.

Seeds a sandbox with N companies (an agreement each with two additions, every third a
second agreement) and a ticket history (daily, weekly and monthly keys per company), then
drives the WSGI app directly (no HTTP, no client: the sandbox's CPU only) with the
request mixes the product makes:
- plan: companies `identifier in (...)` and agreements `company/id in (...)` in chunks;
- additions: then the additions of each agreement (already indexed by agreement before);
- run-due: ticket listings by `externalXRef` (prefix `like` and `=` clauses OR-ed, as
  `reconciler.sends.window` groups them and the gateway packs them), POST a ticket, read
  it back by key, PATCH an addition, DELETE the ticket;
- persist: the run-due writes against a state file (every mutating request rewrites it).
Each mix runs with the fast paths (field indexes, compiled conditions, cached parses) and,
in the same process on the same state, with them switched off (`app.fast_paths = False`:
the baseline scans every record per request). Prints requests/second and the ratio; the
answers of both are compared, so a fast path that changes a result fails the bench.
Usage: bench/sandbox [--customers N] [--days N] [--rounds N]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reconciler.connectwise import replace_ops  # noqa: E402
from reconciler.connectwise.gateway.http import key_conditions  # noqa: E402
from reconciler.sandbox import create_app  # noqa: E402
from reconciler.sends.window import groups  # noqa: E402

API = "/v4_6_release/apis/3.0/"
AUTH = "Basic " + base64.b64encode(b"sandbox+sandbox-public:sandbox-private").decode()
CLIENT_ID = "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42"
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
CHUNK = 100  # identifiers per `in (...)`, about what fits a 2,000-character URL


def seed(n: int, days: int) -> dict:
    base = yaml.safe_load((REPO / "reconciler" / "sandbox" / "seed.yaml").read_text())
    data = {k: base[k] for k in ("seeded_at", "lookups", "agreement_types", "catalog",
                                 "boards", "priorities")}
    contact = base["lookups"]["contacts"][0]["name"]
    data["companies"] = [{"id": 1000 + i, "identifier": f"C{i:05d}", "name": f"Customer {i}"}
                         for i in range(n)]
    agreements, tickets = [], []
    first = date(2026, 11, 24) - timedelta(days=days)
    for i in range(n):
        ident = f"C{i:05d}"
        adds = [{"product": p, "quantity": 10, "billCustomer": "Billable"}
                for p in ("TM-WFBSS", "LAB-REMOTE")]
        agreements.append({"name": f"{ident} Trend Micro", "type": "TMRM Management Solution",
                           "company": ident, "contact": contact, "billingCycle": "Monthly",
                           "startDate": "2025-01-01", "additions": adds})
        if i % 3 == 0:
            agreements.append({"name": f"{ident} Email", "type": "Managed Service",
                               "company": ident, "contact": contact, "billingCycle": "Monthly",
                               "startDate": "2025-01-01",
                               "additions": [{"product": "TM-HES", "quantity": 5,
                                              "billCustomer": "Billable"}]})
        labels = [f"{first + timedelta(days=d):%Y-%m-%d}" for d in range(days)]
        keys = [f"tmrm:hes:{ident}:{label}" for label in labels]
        keys += [f"tmrm:tmems:{ident}:2026-W{w:02d}" for w in range(44, 48)]
        keys += [f"tmrm:billing:{ident}:2026-{m:02d}" for m in (9, 10)]
        tickets += [{"summary": key, "company": ident, "board": "Trend Micro Billing",
                     "externalXRef": key} for key in keys]
    data["agreements"] = agreements
    data["tickets"] = tickets
    return data


class Driver:
    """Calls the WSGI app the way a server would; counts requests."""

    def __init__(self, app) -> None:
        self.app = app
        self.requests = 0

    def call(self, method: str, path: str, query: dict | None = None,
             body: object = None) -> tuple[int, object]:
        raw = json.dumps(body).encode() if body is not None else b""
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": API + path,
            "QUERY_STRING": urlencode(query or {}, quote_via=quote),
            "HTTP_AUTHORIZATION": AUTH, "HTTP_CLIENTID": CLIENT_ID, "HTTP_HOST": "sandbox",
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": io.BytesIO(raw), "wsgi.url_scheme": "http",
        }
        status: list[str] = []
        payload = b"".join(self.app(environ, lambda s, h: status.append(s)))
        self.requests += 1
        code = int(status[0].split()[0])
        if code >= 400:
            raise RuntimeError(f"{method} {path}: {status[0]} {payload[:200]!r}")
        return code, json.loads(payload) if payload else None

    def list(self, path: str, conditions: str | None = None, fields: str = "") -> list:
        query = {"pageSize": 1000, "page": 1, **({"conditions": conditions} if conditions else {}),
                 **({"fields": fields} if fields else {})}
        return self.call("GET", path, query)[1]


def plan_mix(d: Driver, n: int) -> list:
    """What `reconciler plan` asks for a fleet of n customers."""
    idents = [f"C{i:05d}" for i in range(n)]
    companies = []
    for i in range(0, n, CHUNK):
        quoted = ", ".join(f'"{x}"' for x in idents[i:i + CHUNK])
        companies += d.list("company/companies", f"identifier in ({quoted})", "id,identifier")
    agreements = []
    ids = [c["id"] for c in companies]
    for i in range(0, len(ids), CHUNK):
        agreements += d.list("finance/agreements",
                             f"company/id in ({', '.join(map(str, ids[i:i + CHUNK]))})",
                             "id,name,type/name,company/id,agreementStatus")
    return [companies, agreements]


def additions_mix(d: Driver, agreement_ids: list[int]) -> list:
    """Then the additions of each agreement (one request each, as plan does)."""
    return [d.list(f"finance/agreements/{aid}/additions", None,
                   "id,product/identifier,quantity,agreementId") for aid in agreement_ids]


def run_due_mix(d: Driver, n: int, step: int) -> list:
    """What a run-due does: read the window's keys, send, check, fix quantities."""
    answers = []
    for i in range(0, n, step):
        ident = f"C{i:05d}"
        keys = [f"tmrm:hes:{ident}:2026-11-{day:02d}" for day in range(19, 25)]
        keys += [f"tmrm:tmems:{ident}:2026-W47", f"tmrm:billing:{ident}:2026-11"]
        prefixes, single = groups(keys)
        for condition in key_conditions(single, prefixes):
            answers.append(d.list("service/tickets", condition, "id,externalXRef"))
        key = f"tmrm:billing:{ident}:2026-11"
        _, ticket = d.call("POST", "service/tickets", body={
            "summary": f"Billing {ident}", "company": {"identifier": ident},
            "board": {"name": "Trend Micro Billing"}, "externalXRef": key})
        found = d.list("service/tickets", f'externalXRef = "{key}"', "externalXRef")
        answers.append(found)  # (not the id: each round's POST makes a new one)
        agreement = d.list("finance/agreements", f'company/identifier = "{ident}"', "id")[0]
        addition = d.list(f"finance/agreements/{agreement['id']}/additions", None, "id")[0]
        d.call("PATCH", f"finance/agreements/{agreement['id']}/additions/{addition['id']}",
               body=replace_ops(quantity=11))
        d.call("DELETE", f"service/tickets/{ticket['id']}")
    return answers


def timed(d: Driver, fn: Callable[[], list]) -> tuple[float, int, list]:
    before = d.requests
    start = time.perf_counter()
    answers = fn()
    return time.perf_counter() - start, d.requests - before, answers


def compare(label: str, d: Driver, fn: Callable[[], list], rounds: int) -> None:
    """The same mix with fast paths on and off, alternating, best of `rounds`."""
    best = {True: (float("inf"), 0), False: (float("inf"), 0)}
    results = {}
    for _ in range(rounds):
        for fast in (True, False):
            d.app.fast_paths = fast
            seconds, requests, answers = timed(d, fn)
            results[fast] = answers
            best[fast] = min(best[fast], (seconds, requests))
    d.app.fast_paths = True
    if json.dumps(results[True], sort_keys=True) != json.dumps(results[False], sort_keys=True):
        raise SystemExit(f"{label}: the fast paths changed an answer")
    (fast_s, n), (slow_s, _) = best[True], best[False]
    print(f"{label:9s} {n:5d} requests  fast {n / fast_s:8.0f} req/s  "
          f"baseline {n / slow_s:7.0f} req/s  ratio {slow_s / fast_s:6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description="sandbox requests/second, fast paths vs scan")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--days", type=int, default=14, help="daily tickets per customer")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    n = args.customers
    print(f"seeding {n} companies and their ticket history ...", file=sys.stderr)
    start = time.perf_counter()
    data = seed(n, args.days)
    app = create_app(seed=data, clock=lambda: NOW)
    state = app.store.state
    print(f"seeded in {time.perf_counter() - start:.1f} s: "
          + ", ".join(f"{len(state.collections.get(c, {}))} {c}"
                      for c in ("companies", "agreements", "additions", "tickets")))
    d = Driver(app)
    compare("plan", d, lambda: plan_mix(d, n), args.rounds)
    ids = sorted(state.collections["agreements"])
    compare("additions", d, lambda: additions_mix(d, ids), 1)
    step = max(1, n // 25)
    compare("run-due", d, lambda: run_due_mix(d, n, step), args.rounds)

    # State-file persistence: the same run-due mix, the app backed by a state file.
    work = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    try:
        path = work / "sandbox-state.json"
        start = time.perf_counter()
        file_app = create_app(seed=data, state_path=path, clock=lambda: NOW)
        print(f"state file: {path.stat().st_size / 1e6:.1f} MB, written and indexed in "
              f"{time.perf_counter() - start:.1f} s")
        fd = Driver(file_app)
        compare("persist", fd, lambda: run_due_mix(fd, n, step * 5), args.rounds)
        fd.app.fast_paths = True
        seconds, requests, _ = timed(d, lambda: run_due_mix(d, n, step * 5))
        file_s, file_requests, _ = timed(fd, lambda: run_due_mix(fd, n, step * 5))
        print(f"state file vs memory (fast paths on): {file_requests / file_s:.0f} vs "
              f"{requests / seconds:.0f} req/s ({file_s / seconds:.1f}x the time)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
