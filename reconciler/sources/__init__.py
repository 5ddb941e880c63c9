"""Trend Micro data: license usage (files or LMPI) and detection counts (files, or
collected from Trend Micro Email Security)."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from datetime import date
from zoneinfo import ZoneInfo

import httpx

from reconciler import redact
from reconciler.config.model import CollectionSettings, Fleet
from reconciler.net.urls import url_problem
from reconciler.sources.collected import CollectedStore
from reconciler.sources.email_security import CollectedDetections
from reconciler.sources.files import FileDetectionSource, FileUsageSource
from reconciler.sources.lmpi import LmpiUsageSource, lmpi_from_settings
from reconciler.sources.model import (
    DetectionSource,
    MonthUsage,
    SourceError,
    Unavailable,
    UnmappedProduct,
    UnmappedRow,
    UsageLine,
    UsageSource,
    format_units,
    unmapped_products,
)
from reconciler.sources.tmems import SANDBOX_ACCOUNT, SANDBOX_API_KEY, TmemsClient
from reconciler.sources.tmems_events import effective_events

__all__ = [
    "DetectionSource",
    "FileDetectionSource",
    "FileUsageSource",
    "LmpiUsageSource",
    "MonthUsage",
    "RoutedDetections",
    "SourceError",
    "Unavailable",
    "UnmappedProduct",
    "UnmappedRow",
    "UsageLine",
    "UsageSource",
    "collected_store",
    "detection_source",
    "email_security_events",
    "format_units",
    "open_sources",
    "tmems_client",
    "unmapped_products",
    "usage_source",
]


def usage_source(fleet: Fleet, env: Mapping[str, str] = os.environ, *,
                 lmpi_transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] | None = None) -> UsageSource:
    """The usage source `sources.usage` of reconciler.yaml names (`lmpi_transport`: how
    to reach LMPI when its url is `sandbox`; the runtime builds it. `clock`: Unix seconds
    LMPI's signatures are timed by, the runtime's)."""
    settings = fleet.settings.usage_source
    if settings.kind == "lmpi":
        options = {} if clock is None else {"clock": clock}
        return lmpi_from_settings(settings.url or "", fleet.settings.products, env,
                                  transport=lmpi_transport, api_version=settings.api_version,
                                  **options)
    return FileUsageSource(fleet.root / (settings.path or "data/usage"),
                           fleet.settings.products, root=fleet.root)


class RoutedDetections:
    """Email Security counts from the collected store when collection is configured;
    everything else (Hosted Email Security always) from exported files."""

    def __init__(self, files: DetectionSource, collected: DetectionSource | None) -> None:
        self.files, self.collected = files, collected
        self.description = files.description if collected is None else (
            f"{files.description}; {collected.description}")

    def counts(self, kind: str, customer_id: str, start: date, end: date) -> dict[str, int]:
        if kind == "email_security" and self.collected is not None:
            return self.collected.counts(kind, customer_id, start, end)
        return self.files.counts(kind, customer_id, start, end)


def email_security_events(fleet: Fleet) -> dict:
    """Detection name -> which policy event logs count (built-in, then reconciler.yaml)."""
    collection = fleet.settings.collection
    return effective_events(collection.events if collection else {})


def _collection(fleet: Fleet) -> CollectionSettings:
    collection = fleet.settings.collection
    if collection is None:
        raise SourceError("Email Security counts are not collected: add "
                          "sources.detections.email_security (url) to reconciler.yaml")
    return collection


def collected_store(fleet: Fleet) -> CollectedStore:
    """The collected Email Security counts (SourceError when collection is off)."""
    collection = _collection(fleet)
    return CollectedStore(fleet.root / collection.path, shown=collection.path)


def detection_source(fleet: Fleet) -> DetectionSource:
    """The detection source `sources.detections` of reconciler.yaml names."""
    settings = fleet.settings.detection_source
    if settings.kind != "file":
        # LMPI reports licenses only; detection counts come from Email Security logs,
        # which are exported to files or collected.
        raise SourceError("sources.detections.kind lmpi is not supported: LMPI reports "
                          "license usage only; use kind: file")
    files = FileDetectionSource(fleet.root / (settings.path or "data/detections"),
                                root=fleet.root)
    collected = None
    if fleet.settings.collection is not None:
        names = {n for group in fleet.settings.ems_detections.values() for n in group}
        collected = CollectedDetections(
            collected_store(fleet),
            {c.trend_micro_id: c.email_domains for c in fleet.customers},
            ZoneInfo(fleet.settings.timezone), email_security_events(fleet), names)
    return RoutedDetections(files, collected)


def tmems_client(fleet: Fleet, env: Mapping[str, str] = os.environ, *,
                 transport: httpx.BaseTransport | None = None, **kwargs) -> TmemsClient:
    """A client for `sources.detections.email_security.url`: `sandbox` is the embedded
    simulator, reached through `transport` (the runtime's sandbox branch builds it);
    otherwise credentials come from TMEMS_ACCOUNT and TMEMS_API_KEY."""
    collection = _collection(fleet)
    if collection.url == "sandbox":
        if transport is None:
            raise SourceError("sources.detections.email_security.url sandbox needs the "
                              "embedded simulator, which only reconciler's runtime starts")
        return TmemsClient("http://sandbox", account=SANDBOX_ACCOUNT, api_key=SANDBOX_API_KEY,
                           transport=transport, **kwargs)
    account, api_key = env.get("TMEMS_ACCOUNT"), env.get("TMEMS_API_KEY")
    if account and api_key:  # never shown, wherever a vendor echoes them
        redact.register(api_key, base64.b64encode(f"{account}:{api_key}".encode()).decode())
    if not account or not api_key:
        raise SourceError("collecting from Trend Micro Email Security needs TMEMS_ACCOUNT and "
                          "TMEMS_API_KEY in the environment")
    if not (account + api_key).isascii():  # they travel in an HTTP header; never shown
        raise SourceError("TMEMS_ACCOUNT and TMEMS_API_KEY must contain only ASCII characters")
    problem = url_problem(collection.url, "sources.detections.email_security.url")
    if problem:
        raise SourceError(problem)
    return TmemsClient(collection.url, account=account, api_key=api_key, **kwargs)


def open_sources(fleet: Fleet, env: Mapping[str, str] = os.environ, *,
                 lmpi_transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] | None = None
                 ) -> tuple[UsageSource, DetectionSource]:
    """Both sources; one that cannot be set up becomes `Unavailable` (its sends fail
    with the reason, the other kind still goes out)."""
    try:
        usage: UsageSource = usage_source(fleet, env, lmpi_transport=lmpi_transport,
                                          clock=clock)
    except SourceError as exc:
        usage = Unavailable(exc)
    try:
        detections: DetectionSource = detection_source(fleet)
    except SourceError as exc:
        detections = Unavailable(exc)
    return usage, detections
