"""How the tool compares ConnectWise identifiers, names, catalog items and keys.

ConnectWise compares text case-insensitively (SQL Server collation), so the tool does
too, everywhere, through this one function.
"""

from __future__ import annotations


def fold(text: str | None) -> str:
    """Comparison form of an identifier, name or catalog item: case and surrounding
    spaces folded away."""
    return (text or "").strip().casefold()
