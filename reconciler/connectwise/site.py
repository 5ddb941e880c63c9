"""The site: URL checks (https, or http only to loopback) and codebase discovery answers."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import httpx

from reconciler.errors import ReconcilerError

_CODEBASE_RE = re.compile(r"^[A-Za-z0-9_.-]+/?$")


class SiteError(ReconcilerError):
    """The site URL is unusable or codebase discovery failed."""


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_site_url(site_url: str) -> str:
    """The normalised site URL: https, or http only to a loopback host."""
    try:
        url = httpx.URL(site_url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise SiteError(f"ConnectWise URL {site_url!r} is not a valid URL") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise SiteError(f"ConnectWise URL {site_url!r} must look like https://<site>")
    if url.userinfo:
        raise SiteError("ConnectWise URL must not contain credentials; use CW_* variables")
    if url.scheme == "http" and not is_loopback(url.host):
        raise SiteError(
            f"refusing plain http:// to {url.host}: use https:// "
            "(http is only allowed to 127.0.0.1, ::1 or localhost)"
        )
    return str(url.copy_with(query=None, fragment=None)).rstrip("/")


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
