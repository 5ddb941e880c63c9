"""Hand-built fleets for review tests (no files, no git)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reconciler.config.model import (
    BillingPolicy,
    ConnectWiseSettings,
    Customer,
    Fleet,
    Policy,
    Product,
    Settings,
    SourceSettings,
    SummaryPolicy,
    TicketSettings,
    frozen_map,
)

GLOBAL = Policy(
    billing=BillingPolicy(day=1, products=("wfbss", "hes")),
    hosted_email_security=SummaryPolicy("week", ("spam", "phishing")),
)


def settings(**overrides) -> Settings:
    base = Settings(
        path="reconciler.yaml",
        connectwise=ConnectWiseSettings(url="sandbox"),
        timezone="America/New_York",
        send_at="06:00",
        products=frozen_map({k: Product(k, k.upper(), f"TM-{k}") for k in ("wfbss", "hes", "cas")}),
        default_agreement_types=("Managed Service",),
        hes_detections=("spam", "phishing", "virus"),
        ems_detections=frozen_map({"standard": ("spam",), "advanced": ("spam", "bec")}),
        notifications=GLOBAL,
        tickets=TicketSettings(board="B", status="New", priority="P4"),
        usage_source=SourceSettings(kind="file", path="data/usage"),
        detection_source=SourceSettings(kind="file", path="data/detections"),
    )
    return replace(base, **overrides)


def customer(slug: str = "acme", **overrides) -> Customer:
    base = Customer(
        slug=slug,
        path=f"customers/{slug}.yaml",
        name=slug.title(),
        company=slug.upper(),
        trend_micro_id="id-" + slug,
        enabled=True,
        settings="custom",
        agreements=frozen_map({}),
        policy=Policy(billing=BillingPolicy(day=5, products=("wfbss",))),
    )
    return replace(base, **overrides)


def fleet(*customers: Customer, **settings_overrides) -> Fleet:
    return Fleet(Path("."), settings(**settings_overrides), tuple(customers))
