"""The site: its URL (checked by the outbound-URL policy) and codebase discovery answers."""

from __future__ import annotations

import re
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.net.urls import UrlRefused, check_url

_CODEBASE_RE = re.compile(r"^[A-Za-z0-9_.-]+/?$")


class SiteError(ReconcilerError):
    """The site URL is unusable or codebase discovery failed."""


def check_site_url(site_url: str) -> str:
    """The normalised site URL, if the outbound-URL policy (reconciler.net.urls) allows it."""
    try:
        return check_url(site_url, "the ConnectWise URL")
    except UrlRefused as exc:
        raise SiteError(str(exc)) from None


def check_codebase(codebase: str) -> str:
    """`v2025_1/` from `v2025_1`, `/v2025_1/`...; refuses anything that is not one segment."""
    codebase = codebase.strip().strip("/")
    if not _CODEBASE_RE.match(codebase):
        raise SiteError(f"ConnectWise codebase {codebase!r} is not valid")
    return codebase + "/"


def codebase_from_company_info(info: Any, company: str, site_url: str, path: str) -> str:
    """The codebase from a `/login/companyinfo/{companyId}` answer (JSON null: unknown)."""
    if info is None:
        raise SiteError(
            f"company ID {company!r} not found on this site ({site_url}): "
            "check CW_COMPANY_ID and the ConnectWise URL"
        )
    codebase = info.get("Codebase") if isinstance(info, dict) else None
    if not isinstance(codebase, str):
        raise SiteError(
            f"{site_url} did not answer codebase discovery like ConnectWise "
            f"(GET {path}); is this a ConnectWise Manage site?"
        )
    return check_codebase(codebase)
