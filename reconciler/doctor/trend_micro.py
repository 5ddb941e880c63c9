"""Doctor's Trend Micro checks, through what reconciler.sources offers: the usage source
(LMPI's signed report, or files) and the Email Security source.

Seam: `email_security` is where the Trend Micro Email Security collector's credentials are
checked; this version reads Email Security counts from exported files only, so there is
nothing to sign in to and the check says so.
"""

from __future__ import annotations

from datetime import date, datetime

from reconciler.config.model import Fleet
from reconciler.doctor.model import Check
from reconciler.sources import SourceError, UsageSource

LMPI_FIX = ("LMPI_ACCESS_TOKEN and LMPI_SECRET_KEY: the API credentials of Trend Micro's "
            "Licensing Management Platform (in CI: the production environment's secrets); "
            "sources.usage.url in reconciler.yaml")


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


def email_security(fleet: Fleet) -> Check:
    """Trend Micro Email Security credentials (the seam: files only in this version)."""
    path = fleet.settings.detection_source.path or "data/detections"
    return Check("trend_micro.email_security", "skip", f"detection counts are read from "
                 f"files under {path}; no Email Security credentials to check")
