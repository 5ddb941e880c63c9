"""The one definition of which identifiers are safe inside a ConnectWise `conditions` string.

ConnectWise's documentation does not say how a quote inside a string literal is escaped,
so the client never builds a condition from a value it has not checked. Company
identifiers (max 30 characters in ConnectWise) are limited to a conservative character
set; the JSON Schema uses the same patterns (a test keeps them equal).
"""

from __future__ import annotations

import re

COMPANY_IDENTIFIER_MAX = 30
# Letters, digits, space . _ & - ; starts with a letter or digit, never ends with a space.
COMPANY_IDENTIFIER_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9 ._&-]{0,28}[A-Za-z0-9._&-])?$"
_COMPANY_RE = re.compile(COMPANY_IDENTIFIER_PATTERN)
_COMPANY_CHAR = re.compile(r"[A-Za-z0-9 ._&-]")

# Agreement type and agreement names also appear in conditions (type/name = "..."): no
# quotes, backslashes or control characters, no leading/trailing blanks, ConnectWise's 50.
NAME_MAX = 50
CONDITION_TEXT_PATTERN = r"^[^\"'\\\s](?:[^\"'\\\u0000-\u001f\u007f]{0,48}[^\"'\\\s])?$"
_TEXT_RE = re.compile(CONDITION_TEXT_PATTERN)


def company_identifier_problem(value: str) -> str | None:
    """Why `value` cannot be used as a company identifier, or None when it is safe."""
    if _COMPANY_RE.match(value):
        return None
    if not value:
        return "company identifier is empty"
    if len(value) > COMPANY_IDENTIFIER_MAX:
        return (
            f"company identifier is {len(value)} characters long; ConnectWise allows at most "
            f"{COMPANY_IDENTIFIER_MAX}"
        )
    if value[0] in " ._&-" or value[-1] == " ":
        return (
            f"company identifier {value!r} must start with a letter or digit and not end "
            "with a space"
        )
    bad = next(ch for ch in value if not _COMPANY_CHAR.match(ch))
    return (
        f"company identifier {value!r} contains {bad!r}, which cannot be put safely into a "
        "ConnectWise condition; use letters, digits, space, '.', '_', '&' or '-'"
    )


def condition_text_problem(value: str, what: str) -> str | None:
    """Why an agreement type/name cannot be used in a condition, or None when it is safe."""
    if _TEXT_RE.match(value):
        return None
    if not value.strip():
        return f"{what} is empty"
    if len(value) > NAME_MAX:
        return f"{what} is {len(value)} characters long; ConnectWise allows at most {NAME_MAX}"
    if value != value.strip():
        return f"{what} {value!r} starts or ends with a blank"
    return (
        f"{what} {value!r} contains a quote, backslash or control character, which cannot be "
        "put safely into a ConnectWise condition"
    )
