"""Fleet objects and ConnectWise records built directly, for pure planner tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reconciler.config.model import (
    AgreementRef,
    BillingPolicy,
    ConnectWiseSettings,
    Customer,
    Policy,
    Product,
    SafetySettings,
    Settings,
    SourceSettings,
    TicketSettings,
)
from reconciler.connectwise.records import Addition, Agreement, Company
from reconciler.plan.model import (
    AgreementInfo,
    Change,
    CustomerError,
    CustomerStatus,
    Fingerprint,
    Plan,
    PlanWarning,
)
from reconciler.plan.snapshot import Snapshot

PRODUCTS = {
    "wfbss": Product("wfbss", "Worry-Free Business Security Services", "TM-WFBSS"),
    "apex-one": Product("apex-one", "Apex One as a Service", "TM-APEXONE"),
    "hes": Product("hes", "Hosted Email Security", "TM-HES"),
}
DEFAULT_TYPES = ("TMRM Management Solution", "Managed Service")


def settings(**overrides) -> Settings:
    values = dict(
        path="reconciler.yaml",
        connectwise=ConnectWiseSettings(url="sandbox", concurrency=4),
        timezone="UTC",
        send_at="06:00",
        products=PRODUCTS,
        default_agreement_types=DEFAULT_TYPES,
        hes_detections=(),
        ems_detections={},
        notifications=Policy(),
        tickets=TicketSettings("b", "s", "p"),
        usage_source=SourceSettings("file", "data/usage"),
        detection_source=SourceSettings("file", "data/detections"),
        safety=SafetySettings(),
    )
    values.update(overrides)
    return Settings(**values)


def customer(
    slug: str = "acme",
    company: str = "ACME",
    products: tuple[str, ...] = ("wfbss",),
    agreements: dict[str, AgreementRef] | None = None,
    enabled: bool = True,
    name: str | None = None,
) -> Customer:
    return Customer(
        slug=slug,
        path=f"customers/{slug}.yaml",
        name=name or f"{slug.title()} Corp",
        company=company,
        trend_micro_id="x",
        enabled=enabled,
        settings="custom",
        agreements=agreements or {},
        policy=Policy(billing=BillingPolicy(day=1, products=products)),
    )


def company(id: int, identifier: str, name: str, deleted: bool = False) -> Company:
    return Company(id, identifier, name, deleted)


def agreement(id: int, company_id: int, type_: str, name: str, status: str = "Active",
              cancelled: bool = False) -> Agreement:
    return Agreement(id, name, type_, company_id, "", status=status, cancelled=cancelled)


def addition(id: int, item: str, bill: str = "Billable", cancelled: str | None = None,
             agreement_id: int = 0) -> Addition:
    return Addition(id, agreement_id, item, bill_customer=bill, cancelled_date=cancelled)


def snapshot(companies=(), agreements=(), additions=None) -> Snapshot:
    """A Snapshot from records; additions maps agreement id -> list (in-play agreements)."""
    snap = Snapshot()
    for c in companies:
        snap.companies[c.identifier.casefold()] = c
        snap.agreements.setdefault(c.id, [])
    for a in agreements:
        snap.agreements.setdefault(a.company_id, []).append(a)
    snap.additions = {k: [replace(x, agreement_id=k) for x in v]
                      for k, v in (additions or {}).items()}
    return snap


ROOT = Path(".")

AG = AgreementInfo(10, "ACME TMRM", "TMRM Management Solution")


def change(kind="create", customer="acme", product="wfbss", addition_id=None):
    return Change(kind, customer, customer.upper(), AG, product, "TM-X", addition_id,
                  None, {"billCustomer": "Billable"}, "why")


def sample_plan() -> Plan:
    return Plan.build(
        [change("update", addition_id=3), change("create", "zed"), change("cancel", addition_id=1)],
        [PlanWarning("disabled", "off is disabled", "off", "OFF")] * 2,
        [CustomerError("bad", "BAD", "bad: company BAD does not exist", ("BAT",))],
        customers=(CustomerStatus("acme", "ACME", "ok", 2),),
        fingerprint=Fingerprint("sha256:c", "sha256:l"),
        requests=7,
        generated_at="2026-11-25T12:00:00Z",
    )
