"""The typed, immutable model of a fleet: global settings plus one Customer per file.

Everything downstream (plan, schedule, sends) reads these objects, never raw YAML.
All containers are tuples or read-only mappings so a loaded Fleet cannot be mutated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from reconciler.net.defaults import DEADLINE_SECONDS, MAX_RESPONSE_MB

Frequency = Literal["day", "week", "month"]
Edition = Literal["standard", "advanced"]
SummaryKind = Literal["hosted_email_security", "email_security"]

# The ConnectWise API model version asked for when reconciler.yaml names none. ConnectWise
# recommends pinning a version in production ("PSA Versioning", developer guide: without
# one, requests get the latest models and old models are deprecated regularly); 2025.1 is
# the version of the OpenAPI document the gateway's field types were checked against
# (reference/connectwise-schemas.json), so its parser and the models agree.
DEFAULT_API_VERSION = "2025.1"


def frozen_map(items: Mapping | None = None) -> Mapping:
    """A read-only view of a dict copy, for mapping fields of frozen dataclasses."""
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True)
class Product:
    """A Trend Micro product billed through a ConnectWise catalog item."""

    key: str  # e.g. "wfbss", as used in customer files
    name: str  # Trend Micro's product name
    catalog_item: str  # ConnectWise catalog item identifier, e.g. "TM-WFBSS"
    lmpi_name: str | None = None  # products.<key>.lmpi.product_name; None: `name`
    # products.<key>.lmpi.service_plans; None: every plan of that name no sibling lists
    service_plans: tuple[str, ...] | None = None

    @property
    def lmpi_product_name(self) -> str:
        """How usage rows (LMPI's `product_name`) name this product."""
        return self.lmpi_name or self.name


@dataclass(frozen=True)
class AgreementRef:
    """Where a product is billed: the company's default agreement or an explicit one."""

    type: str | None = None  # agreement type name; None means "default"
    name: str | None = None

    @property
    def is_default(self) -> bool:
        return self.type is None

    def __str__(self) -> str:
        return "default agreement" if self.is_default else f"{self.type} / {self.name}"


DEFAULT_AGREEMENT = AgreementRef()


@dataclass(frozen=True)
class BillingPolicy:
    day: int  # 1..31; 29-31 fall back to the month's last day
    products: tuple[str, ...]


@dataclass(frozen=True)
class SummaryPolicy:
    every: Frequency
    detections: tuple[str, ...]
    edition: Edition | None = None  # only for email_security


@dataclass(frozen=True)
class Policy:
    """A notification policy: the global one, or a customer's custom block.

    A block left out (None) means that send is off.
    """

    billing: BillingPolicy | None = None
    hosted_email_security: SummaryPolicy | None = None
    email_security: SummaryPolicy | None = None

    def summary(self, kind: SummaryKind) -> SummaryPolicy | None:
        return getattr(self, kind)


@dataclass(frozen=True)
class Customer:
    """One customer file, with its effective policy already resolved."""

    slug: str  # file stem, e.g. "acme"
    path: str  # path of the file as given (relative to the fleet root when loaded from it)
    name: str
    company: str  # ConnectWise company identifier
    trend_micro_id: str  # trend_micro.customer_id: the LMPI customer id
    enabled: bool
    settings: Literal["global", "custom"]
    agreements: Mapping[str, AgreementRef]  # explicit mappings from the file
    policy: Policy  # effective: global notifications or the custom block
    # trend_micro.email_domains: the domains whose Email Security logs are this customer's
    email_domains: tuple[str, ...] = ()

    @property
    def billed_products(self) -> tuple[str, ...]:
        """Products billed for this customer (empty when billing is off)."""
        return self.policy.billing.products if self.policy.billing else ()

    def agreement_for(self, product: str) -> AgreementRef:
        """The agreement a product is billed on: explicit mapping, else the default one."""
        return self.agreements.get(product, DEFAULT_AGREEMENT)


@dataclass(frozen=True)
class ConnectWiseSettings:
    url: str  # "sandbox" or https://<site> (http:// only to loopback)
    rate_limit_per_minute: int = 900
    concurrency: int = 8
    page_size: int = 1000
    request_timeout_seconds: float = DEADLINE_SECONDS  # one whole exchange, answer included
    max_response_mb: int = MAX_RESPONSE_MB  # one answer (decompressed), one paged list in all
    api_version: str = DEFAULT_API_VERSION  # asked for in every request's Accept header


@dataclass(frozen=True)
class TicketSettings:
    """Routing of the tickets that sends create (names, resolved to ids at send time)."""

    board: str
    status: str
    priority: str
    type: str | None = None


@dataclass(frozen=True)
class SourceSettings:
    """Where usage or detection counts come from."""

    kind: Literal["file", "lmpi"]
    path: str | None = None  # for file: a folder, relative to the fleet root
    url: str | None = None  # for lmpi: base URL ("sandbox" for the embedded simulator)
    api_version: Literal["v3", "v2"] = "v3"  # for lmpi: /LMPI/v3/... or /LMPI/v2/...


@dataclass(frozen=True)
class EventMatch:
    """Which Email Security policy event logs count as one detection: those returned for
    the requested `event` type, narrowed to returned `types` / `subtypes` when given."""

    event: str  # requested event type: spam, phishing, threat, ...
    types: tuple[str, ...] = ()  # returned eventType values; () = any
    subtypes: tuple[str, ...] = ()  # returned eventSubtype values; () = any


@dataclass(frozen=True)
class CollectionSettings:
    """`sources.detections.email_security`: collect counts from Trend Micro Email Security."""

    url: str  # https://<service root> or "sandbox"
    path: str  # the collected store, relative to the fleet root
    events: Mapping[str, EventMatch]  # detection name -> which logs count


@dataclass(frozen=True)
class SafetySettings:
    max_cancel_percent: float = 30.0  # refuse to cancel more than this share ...
    min_managed_additions: int = 10  # ... once at least this many managed additions exist
    max_quantity_change_percent: float = 50.0  # billing guardrail
    quantity_exceptions: tuple[str, ...] = ()  # customer slugs never held by the guardrail


@dataclass(frozen=True)
class Settings:
    """reconciler.yaml: the "general administration settings"."""

    path: str
    connectwise: ConnectWiseSettings
    timezone: str
    send_at: str  # "HH:MM"
    products: Mapping[str, Product]
    default_agreement_types: tuple[str, ...]
    hes_detections: tuple[str, ...]
    ems_detections: Mapping[str, tuple[str, ...]]  # edition -> allowed detection names
    notifications: Policy
    tickets: TicketSettings
    usage_source: SourceSettings
    detection_source: SourceSettings
    # sources.detections.email_security; None: Email Security counts come from files
    collection: CollectionSettings | None = None
    safety: SafetySettings = field(default_factory=SafetySettings)
    lookback_days: int = 62  # how far back run-due fills gaps

    def catalog_items(self) -> frozenset[str]:
        """Catalog identifiers of managed additions: nothing else is ever touched."""
        return frozenset(p.catalog_item for p in self.products.values())


@dataclass(frozen=True)
class Fleet:
    """reconciler.yaml plus every customer file, validated."""

    root: Path
    settings: Settings
    customers: tuple[Customer, ...]  # sorted by slug
    # Warnings found while loading (config.Diagnostic objects), e.g. an unknown slug in
    # safety.quantity_exceptions; errors never reach a Fleet (FleetInvalid instead).
    warnings: tuple = ()
    # Customer files left out by a partial load, with their errors; always () otherwise.
    rejected: tuple[RejectedCustomer, ...] = ()


@dataclass(frozen=True)
class RejectedCustomer:
    """A customer file left out of a partial load (`load_fleet(..., partial=True)`).

    Nothing is planned, applied or sent for it; its company (when the raw YAML names
    one) still counts as owned, so its managed additions are never reported as having
    no customer file.
    """

    slug: str
    path: str
    company: str | None  # connectwise.company as read from the raw YAML, if a string
    diagnostics: tuple = ()  # config.Diagnostic objects of this file (errors first matter)

    def errors(self) -> tuple:
        """This file's error diagnostics, in file order."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    def messages(self) -> tuple[str, ...]:
        """One `path:line:col: message` per error (what plan and run-due report)."""
        return tuple(
            f"{d.path}:{d.line}:{d.col}: {d.message}" if d.line else f"{d.path}: {d.message}"
            for d in self.errors()
        )
