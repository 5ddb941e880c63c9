"""Doctor's Trend Micro checks, through what reconciler.sources offers: the usage source
(LMPI's signed report, or files) and the Email Security source (the collector's
credentials, with one log read, when `sources.detections.email_security` is set; else the
counts come from exported files and there is nothing to sign in to).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from reconciler.config.model import Fleet
from reconciler.doctor.model import Check
from reconciler.sources import SourceError, UsageSource
from reconciler.sources.tmems import TmemsClient

LMPI_FIX = ("LMPI_ACCESS_TOKEN and LMPI_SECRET_KEY: the API credentials of Trend Micro's "
            "Licensing Management Platform (in CI: the production environment's secrets); "
            "sources.usage.url in reconciler.yaml")
TMEMS_FIX = ("TMEMS_ACCOUNT and TMEMS_API_KEY: the account and an API key of Trend Micro Email "
             "Security (Administration > Service Integration > API Access, with Log Retrieval "
             "on; in CI: the production environment's secrets); "
             "sources.detections.email_security.url in reconciler.yaml: your region's service "
             "root")


def last_complete_month(today: date) -> tuple[int, int]:
    first = today.replace(day=1)
    return (first.year - 1, 12) if first.month == 1 else (first.year, first.month - 1)


def usage(fleet: Fleet, source: UsageSource, now: datetime) -> Check:
    """The usage source answers for the last complete month (LMPI: credentials and
    signature accepted)."""
    settings = fleet.settings.usage_source
    if settings.kind == "file":
        folder = fleet.root / (settings.path or "data/usage")
        if not folder.is_dir():
            return Check("trend_micro.usage", "fail", f"usage files folder {settings.path} "
                         "does not exist", "sources.usage.path in reconciler.yaml, or create "
                         "the folder and put the monthly usage files there")
        return Check("trend_micro.usage", "ok", f"usage from files under {settings.path} "
                     "(no credentials)")
    year, month = last_complete_month(now.date())
    try:
        source.usage(year, month)
    except SourceError as exc:
        return Check("trend_micro.usage", "fail", str(exc), LMPI_FIX)
    return Check("trend_micro.usage", "ok", f"LMPI ({settings.url}) answered the "
                 f"{year}-{month:02d} usage report")


def email_security(fleet: Fleet, client: Callable[[], TmemsClient], now: datetime) -> Check:
    """Trend Micro Email Security, when its counts are collected: the credentials and the
    service root answer one read of the last five minutes' spam logs."""
    collection = fleet.settings.collection
    if collection is None:
        path = fleet.settings.detection_source.path or "data/detections"
        return Check("trend_micro.email_security", "skip", f"detection counts are read from "
                     f"files under {path}; no Email Security credentials to check")
    try:
        client().policy_events("spam", now - timedelta(minutes=5), now)
    except SourceError as exc:
        return Check("trend_micro.email_security", "fail", str(exc), TMEMS_FIX)
    return Check("trend_micro.email_security", "ok", f"Trend Micro Email Security "
                 f"({collection.url}) accepted the credentials and answered a log read")
