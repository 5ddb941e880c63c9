"""Trend Micro data: license usage and detection counts, from files or LMPI."""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from reconciler.config.model import Fleet
from reconciler.sources.files import FileDetectionSource, FileUsageSource
from reconciler.sources.lmpi import LmpiUsageSource, lmpi_from_settings
from reconciler.sources.model import (
    DetectionSource,
    MonthUsage,
    SourceError,
    Unavailable,
    UsageLine,
    UsageSource,
    format_units,
)

__all__ = [
    "DetectionSource",
    "FileDetectionSource",
    "FileUsageSource",
    "LmpiUsageSource",
    "MonthUsage",
    "SourceError",
    "Unavailable",
    "UsageLine",
    "UsageSource",
    "detection_source",
    "format_units",
    "open_sources",
    "usage_source",
]


def usage_source(fleet: Fleet, env: Mapping[str, str] = os.environ, *,
                 lmpi_transport: httpx.BaseTransport | None = None) -> UsageSource:
    """The usage source `sources.usage` of reconciler.yaml names (`lmpi_transport`: how
    to reach LMPI when its url is `sandbox`; the runtime builds it)."""
    settings = fleet.settings.usage_source
    if settings.kind == "lmpi":
        return lmpi_from_settings(settings.url or "", fleet.settings.products, env,
                                  transport=lmpi_transport)
    return FileUsageSource(fleet.root / (settings.path or "data/usage"),
                           fleet.settings.products, root=fleet.root)


def detection_source(fleet: Fleet) -> DetectionSource:
    """The detection source `sources.detections` of reconciler.yaml names."""
    settings = fleet.settings.detection_source
    if settings.kind != "file":
        # LMPI reports licenses only; detection counts come from Email Security logs,
        # which are exported to files.
        raise SourceError("sources.detections.kind lmpi is not supported: LMPI reports "
                          "license usage only; use kind: file")
    return FileDetectionSource(fleet.root / (settings.path or "data/detections"),
                               root=fleet.root)


def open_sources(fleet: Fleet, env: Mapping[str, str] = os.environ, *,
                 lmpi_transport: httpx.BaseTransport | None = None
                 ) -> tuple[UsageSource, DetectionSource]:
    """Both sources; one that cannot be set up becomes `Unavailable` (its sends fail
    with the reason, the other kind still goes out)."""
    try:
        usage: UsageSource = usage_source(fleet, env, lmpi_transport=lmpi_transport)
    except SourceError as exc:
        usage = Unavailable(exc)
    try:
        detections: DetectionSource = detection_source(fleet)
    except SourceError as exc:
        detections = Unavailable(exc)
    return usage, detections
