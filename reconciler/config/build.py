"""Plain, already validated data -> the frozen model (effective policy resolved)."""

from __future__ import annotations

from typing import Any

from reconciler.config.model import (
    DEFAULT_AGREEMENT,
    AgreementRef,
    BillingPolicy,
    CollectionSettings,
    ConnectWiseSettings,
    Customer,
    EventMatch,
    Policy,
    Product,
    SafetySettings,
    Settings,
    SourceSettings,
    SummaryPolicy,
    TicketSettings,
    frozen_map,
)

DEFAULT_AGREEMENT_TYPES = ("TMRM Management Solution", "Managed Service")
DEFAULT_SOURCES = {
    "usage": {"kind": "file", "path": "data/usage"},
    "detections": {"kind": "file", "path": "data/detections"},
}
DEFAULT_COLLECTED_PATH = "data/collected/email_security"


def policy(data: dict | None) -> Policy:
    """A notification policy from a `notifications` or `custom` block."""
    data = data or {}
    billing = data.get("billing")
    hes = data.get("hosted_email_security")
    ems = data.get("email_security")
    return Policy(
        billing=BillingPolicy(day=int(billing["day"]), products=tuple(billing["products"]))
        if billing
        else None,
        hosted_email_security=SummaryPolicy(every=hes["every"], detections=tuple(hes["detections"]))
        if hes
        else None,
        email_security=SummaryPolicy(
            every=ems["every"], detections=tuple(ems["detections"]), edition=ems["edition"]
        )
        if ems
        else None,
    )


def _source(data: dict) -> SourceSettings:
    return SourceSettings(kind=data["kind"], path=data.get("path"), url=data.get("url"),
                          api_version=data.get("api_version", "v3"))


def _collection(data: dict | None) -> CollectionSettings | None:
    if not data:
        return None
    events = {
        name: EventMatch(event=match["event"], types=tuple(match.get("types", ())),
                         subtypes=tuple(match.get("subtypes", ())))
        for name, match in (data.get("events") or {}).items()
    }
    return CollectionSettings(url=data["url"], path=data.get("path", DEFAULT_COLLECTED_PATH),
                              events=frozen_map(events))


def _product(key: str, data: dict) -> Product:
    lmpi = data.get("lmpi") or {}
    plans = lmpi.get("service_plans")
    return Product(key=key, name=data["name"], catalog_item=data["catalog_item"],
                   lmpi_name=lmpi.get("product_name"),
                   service_plans=tuple(plans) if plans is not None else None)


def settings(data: dict, path: str) -> Settings:
    """reconciler.yaml -> Settings, with the documented defaults for optional keys."""
    cw = data["connectwise"]
    defaults = ConnectWiseSettings(url=cw["url"])
    sources = {**DEFAULT_SOURCES, **data.get("sources", {})}
    safety = data.get("safety", {})
    safe_defaults = SafetySettings()
    detections = data["detections"]
    tickets = data["tickets"]
    return Settings(
        path=path,
        connectwise=ConnectWiseSettings(
            url=cw["url"],
            rate_limit_per_minute=cw.get("rate_limit_per_minute", defaults.rate_limit_per_minute),
            concurrency=cw.get("concurrency", defaults.concurrency),
            page_size=cw.get("page_size", defaults.page_size),
            request_timeout_seconds=cw.get("request_timeout_seconds",
                                           defaults.request_timeout_seconds),
            max_response_mb=cw.get("max_response_mb", defaults.max_response_mb),
            api_version=cw.get("api_version", defaults.api_version),
        ),
        timezone=data["timezone"],
        send_at=data["send_at"],
        products=frozen_map({k: _product(k, v) for k, v in data["products"].items()}),
        default_agreement_types=tuple(data.get("default_agreement_types", DEFAULT_AGREEMENT_TYPES)),
        hes_detections=tuple(detections["hosted_email_security"]),
        ems_detections=frozen_map({k: tuple(v) for k, v in detections["email_security"].items()}),
        notifications=policy(data.get("notifications")),
        tickets=TicketSettings(
            board=tickets["board"],
            status=tickets["status"],
            priority=tickets["priority"],
            type=tickets.get("type"),
        ),
        usage_source=_source(sources["usage"]),
        detection_source=_source(sources["detections"]),
        collection=_collection(sources["detections"].get("email_security")),
        safety=SafetySettings(
            max_cancel_percent=float(
                safety.get("max_cancel_percent", safe_defaults.max_cancel_percent)
            ),
            min_managed_additions=int(
                safety.get("min_managed_additions", safe_defaults.min_managed_additions)
            ),
            max_quantity_change_percent=float(
                safety.get("max_quantity_change_percent", safe_defaults.max_quantity_change_percent)
            ),
            quantity_exceptions=tuple(safety.get("quantity_exceptions", ())),
        ),
        lookback_days=int(data.get("lookback_days", 62)),
    )


def _agreement(value: Any) -> AgreementRef:
    if value == "default":
        return DEFAULT_AGREEMENT
    return AgreementRef(type=value["type"], name=value["name"])


def customer(data: dict, slug: str, path: str, global_policy: Policy) -> Customer:
    """One customer file -> Customer, its policy the effective one."""
    mode = data["settings"]
    return Customer(
        slug=slug,
        path=path,
        name=data["name"],
        company=data["connectwise"]["company"],
        trend_micro_id=data["trend_micro"]["customer_id"],
        email_domains=tuple(data["trend_micro"].get("email_domains", ())),
        enabled=data["integration"] == "enabled",
        settings=mode,
        agreements=frozen_map({k: _agreement(v) for k, v in data.get("agreements", {}).items()}),
        policy=global_policy if mode == "global" else policy(data.get("custom")),
    )
