"""A small world for send tests: the packaged sandbox seed, an in-process gateway (and a
raw client for setting up and inspecting the sandbox), a fleet of three customers
covering every frequency, and usage/detection files written into a temporary folder."""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from reconciler.config import load_fleet
from reconciler.config.model import (
    AgreementRef,
    BillingPolicy,
    Customer,
    Fleet,
    Policy,
    SourceSettings,
    SummaryPolicy,
)
from reconciler.connectwise import ConnectWiseClient, Credentials
from reconciler.connectwise.gateway import HttpGateway
from reconciler.sandbox import Faults, create_app, transport
from reconciler.sources import FileDetectionSource, FileUsageSource

REPO = Path(__file__).resolve().parents[2]
CREDS = Credentials("sandbox", "sandbox-public", "sandbox-private",
                    "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42")
TM_IDS = {"hooli": "tm-hooli", "initech": "tm-initech", "stark": "tm-stark"}
PRODUCT_NAMES = {"apex-one": "Apex One as a Service", "tmems": "Trend Micro Email Security",
                 "cas": "Cloud App Security", "wfbss": "Worry-Free Business Security Services",
                 "hes": "Hosted Email Security"}


def customers() -> tuple[Customer, ...]:
    """hooli: billing day 30, HES monthly, EMS weekly; initech: billing day 15, EMS daily;
    stark: billing day 31 (month end), HES daily."""
    return (
        Customer("hooli", "customers/hooli.yaml", "Hooli Cloud Services", "HOOLI",
                 TM_IDS["hooli"], True, "custom",
                 {"apex-one": AgreementRef("TMRM Management Solution", "Hooli Trend Micro Bundle"),
                  "tmems": AgreementRef("TMRM Management Solution", "Hooli Trend Micro Bundle"),
                  "cas": AgreementRef("Managed Service", "Hooli SaaS Protection")},
                 Policy(billing=BillingPolicy(30, ("apex-one", "tmems", "cas")),
                        hosted_email_security=SummaryPolicy("month", ("spam", "phishing")),
                        email_security=SummaryPolicy("week", ("phishing", "malware"),
                                                     "advanced"))),
        Customer("initech", "customers/initech.yaml", "Initech LLC", "INITECH",
                 TM_IDS["initech"], True, "custom",
                 {"tmems": AgreementRef("TMRM Management Solution", "Initech Email Security")},
                 Policy(billing=BillingPolicy(15, ("tmems",)),
                        email_security=SummaryPolicy("day", ("spam", "bec"), "standard"))),
        Customer("stark", "customers/stark.yaml", "Stark Logistics", "STARK",
                 TM_IDS["stark"], True, "custom",
                 {"wfbss": AgreementRef("Managed Service", "Stark Managed Security"),
                  "hes": AgreementRef("Managed Service", "Stark Managed Security")},
                 Policy(billing=BillingPolicy(31, ("wfbss", "hes")),
                        hosted_email_security=SummaryPolicy("day", ("spam", "virus")))),
    )


def fleet(root: Path, *, lookback_days: int = 62, **safety) -> Fleet:
    base = load_fleet(REPO)
    settings = replace(
        base.settings,
        lookback_days=lookback_days,
        safety=replace(base.settings.safety, **safety),
        usage_source=SourceSettings("file", path="usage"),
        detection_source=SourceSettings("file", path="detections"),
    )
    return Fleet(root, settings, customers())


def app(faults: Faults | None = None):
    return create_app(seed=None, faults=faults)


def client(sandbox_app, **options) -> ConnectWiseClient:
    options.setdefault("sleep", lambda seconds: None)
    options.setdefault("rng", random.Random(0))  # jitter per request, repeatable
    options.setdefault("rate_limit_per_minute", None)
    options.setdefault("transport", transport(sandbox_app))
    return ConnectWiseClient("http://127.0.0.1", CREDS, **options)


def gateway(sandbox_app, **options) -> HttpGateway:
    """The product's way in: an HttpGateway over an in-process client."""
    return HttpGateway(client(sandbox_app, **options))


def methods_since(sandbox_app, mark: int) -> set[str]:
    """HTTP methods the sandbox received after request number `mark`."""
    return {method for method, _ in sandbox_app.request_log[mark:]}


def units(customer: str, product: str, year: int, month: int) -> int:
    """Deterministic chargeable units that drift under 10% a month."""
    base = random.Random(f"{customer}:{product}").randint(200, 300)
    drift = random.Random(f"{customer}:{product}:{year}-{month}").uniform(-0.08, 0.08)
    return round(base * (1 + drift))


def write_usage(root: Path, year: int, month: int, *, skip: set[tuple[str, str]] = frozenset(),
                override: dict[tuple[str, str], int] | None = None) -> Path:
    """data for every fleet customer's billed products (cas reports no `used`)."""
    path = root / "usage" / f"{year}-{month:02d}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["customer_id", "product", "service_plan", "unit", "provisioned", "used"])
        for c in customers():
            for product in c.billed_products:
                if (c.slug, product) in skip:
                    continue
                n = (override or {}).get((c.slug, product), units(c.slug, product, year, month))
                if product == "cas":
                    out.writerow([c.trend_micro_id, PRODUCT_NAMES[product], "Monthly", "users",
                                  n, ""])
                else:
                    out.writerow([c.trend_micro_id, PRODUCT_NAMES[product], "Monthly", "seats",
                                  n + 5, n])
    return path


def write_detections(root: Path, start: date, end: date) -> None:
    """Daily counts for every customer, detection and kind, month files."""
    rows: dict[tuple[str, str], list] = {}
    day = start
    while day <= end:
        for c in customers():
            for kind in ("hosted_email_security", "email_security"):
                for name in ("spam", "phishing", "malware", "virus", "bec"):
                    count = random.Random(f"{c.slug}:{kind}:{name}:{day}").randint(0, 9)
                    rows.setdefault((kind, f"{day:%Y-%m}"), []).append(
                        [c.trend_micro_id, day.isoformat(), name, count])
        day += timedelta(days=1)
    for (kind, stem), items in rows.items():
        path = root / "detections" / kind / f"{stem}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["customer_id", "date", "detection", "count"])
            out.writerows(items)


def sources(the_fleet: Fleet):
    root = the_fleet.root
    return (FileUsageSource(root / "usage", the_fleet.settings.products, root=root),
            FileDetectionSource(root / "detections", root=root))


def tickets(sandbox_app) -> list[dict]:
    """Every ticket in the sandbox state (bypassing HTTP)."""
    found = client(sandbox_app).list("/service/tickets",
                                     fields="id,externalXRef,summary,closedFlag")
    return [{**t, "externalXRef": t.get("externalXRef")} for t in found]


def settled_loser(ticket: dict) -> bool:
    """A race's losing ticket, settled: marked as a duplicate and closed (contract 4)."""
    return ticket["summary"].startswith("[duplicate of #") and ticket.get("closedFlag") is True


def counted_keys(sandbox_app) -> list[str]:
    """The key of every ticket that records a send (settled losers of races do not)."""
    return [t["externalXRef"] for t in tickets(sandbox_app)
            if str(t["externalXRef"] or "").startswith("tmrm:") and not settled_loser(t)]


def note_text(sandbox_app, ticket_id: int) -> str:
    notes = client(sandbox_app).list(f"/service/tickets/{int(ticket_id)}/notes", fields="id,text")
    return "\n".join(str(n.get("text") or "") for n in notes)


def addition_quantity(sandbox_app, agreement_id: int, catalog_item: str) -> float | None:
    items = client(sandbox_app).list(f"/finance/agreements/{agreement_id}/additions",
                                     fields="id,product/identifier,quantity,cancelledDate")
    live = [a for a in items if a["product"]["identifier"] == catalog_item
            and not a.get("cancelledDate")]
    assert len(live) == 1, live
    return live[0].get("quantity")


def example_fleet(tmp_path: Path) -> Path:
    """A copy of the repository's example fleet (settings, customers, data) in tmp_path;
    its sandbox state lands in tmp_path/.reconciler."""
    import shutil

    shutil.copy(REPO / "reconciler.yaml", tmp_path / "reconciler.yaml")
    shutil.copytree(REPO / "customers", tmp_path / "customers")
    shutil.copytree(REPO / "data", tmp_path / "data", ignore=shutil.ignore_patterns("*.py"))
    return tmp_path


def cli(root: Path, *args: str):
    from click.testing import CliRunner

    from reconciler.cli import cli as main

    return CliRunner().invoke(main, ["--root", str(root), *args])
