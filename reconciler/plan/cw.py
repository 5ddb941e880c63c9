"""How the planner compares ConnectWise names and describes agreements.

ConnectWise compares identifiers and names case-insensitively (SQL Server collation), so
the planner does too: `key()` folds case and surrounding spaces.
"""

from __future__ import annotations

from reconciler.connectwise.records import Agreement


def key(text: str | None) -> str:
    """Comparison key for identifiers, names and catalog items."""
    return (text or "").strip().casefold()


def describe_agreement(agreement: Agreement) -> str:
    """`Managed Service / ACME Endpoint Protection (Active, id 12)` for error messages."""
    status = agreement.status or "?"
    if agreement.cancelled:
        status += ", cancelled"
    return f"{agreement.type_name} / {agreement.name} ({status}, id {agreement.id})"
