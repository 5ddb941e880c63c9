"""Reading ConnectWise records as the planner needs them (one place for field quirks).

ConnectWise compares identifiers and names case-insensitively (SQL Server collation), so
the planner does too: `key()` folds case and surrounding spaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

Record = Mapping[str, Any]


def key(text: str | None) -> str:
    """Comparison key for identifiers, names and catalog items."""
    return (text or "").strip().casefold()


def ref_name(record: Record, field: str) -> str:
    """`record[field]["name"]` for a reference field, "" when absent."""
    ref = record.get(field) or {}
    return str(ref.get("name") or "")


def agreement_type(agreement: Record) -> str:
    return ref_name(agreement, "type")


def agreement_status(agreement: Record) -> str:
    return str(agreement.get("agreementStatus") or "")


def is_active_agreement(agreement: Record) -> bool:
    """Active and not cancelled: the only agreements products may be billed on."""
    if agreement.get("cancelledFlag"):
        return False
    # A record without agreementStatus (fields trimmed) counts as active unless cancelled.
    return agreement_status(agreement) in ("", "Active")


def describe_agreement(agreement: Record) -> str:
    """`Managed Service / ACME Endpoint Protection (Active, id 12)` for error messages."""
    status = agreement_status(agreement) or "?"
    if agreement.get("cancelledFlag"):
        status += ", cancelled"
    return (
        f"{agreement_type(agreement)} / {agreement.get('name', '')} "
        f"({status}, id {agreement.get('id')})"
    )


def product_identifier(addition: Record) -> str:
    product = addition.get("product") or {}
    return str(product.get("identifier") or "")


def parse_date(value: Any) -> date | None:
    """The date part of a ConnectWise datetime such as `2026-11-25T00:00:00Z`."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def is_live_addition(addition: Record, today: date) -> bool:
    """Not cancelled as of today (a cancelledDate in the future still bills until then)."""
    cancelled = parse_date(addition.get("cancelledDate"))
    return cancelled is None or cancelled > today


def cw_date(day: date) -> str:
    """A date as ConnectWise writes datetimes."""
    return f"{day.isoformat()}T00:00:00Z"
