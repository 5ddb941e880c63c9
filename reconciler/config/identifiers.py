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

# Agreement types, agreement names and ticket routing names also appear in conditions
# (type/name = "..."). The schema pattern refuses the double quote, the backslash,
# control characters, leading/trailing blanks and more than ConnectWise's 50 characters;
# `condition_text_problem` also applies the client's whitelist (letters and digits of any
# script, the space, ASCII punctuation), mirroring reconciler.connectwise.conditions.quote
# so that a value that validates can always be put in a condition.
NAME_MAX = 50
# Written for both Python's re and ECMA-262 (check-jsonschema checks patterns as ECMA).
CONDITION_TEXT_PATTERN = r"""^[^"\\\s](?:[^"\\\x00-\x1f\x7f]{0,48}[^"\\\s])?$"""
_TEXT_RE = re.compile(CONDITION_TEXT_PATTERN)
_SAFE_PUNCTUATION = frozenset(" !#$%&'()*+,-./:;<=>?@[]^_`{|}~")


def passes_text_pattern(value: str) -> bool:
    """True when the schema pattern accepts `value` (the whitelist may still refuse it)."""
    return bool(_TEXT_RE.match(value))


def condition_text_problem(value: str, what: str) -> str | None:
    """Why an agreement type/name cannot be used in a condition, or None when it is safe."""
    if not value.strip():
        return f"{what} is empty"
    if len(value) > NAME_MAX:
        return f"{what} is {len(value)} characters long; ConnectWise allows at most {NAME_MAX}"
    if value != value.strip():
        return f"{what} {value!r} starts or ends with a blank"
    bad = [ch for ch in value if not (ch in _SAFE_PUNCTUATION or ch.isalnum())]
    if bad or not _TEXT_RE.match(value):
        ch = bad[0] if bad else "?"
        return (
            f"{what} {value!r} contains {ch!r}, which cannot be put safely into a ConnectWise "
            'condition (allowed: letters, digits, space and ASCII punctuation except " and \\)'
        )
    return None


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
