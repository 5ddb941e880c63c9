"""Build ConnectWise `conditions` strings from checked values.

Conditions are plain strings so callers can compose them with `and_` / `or_`. Every
value goes through `quote`, which refuses what it cannot quote safely; every field name
is validated. Nothing here ever concatenates an unchecked value into a condition.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from reconciler.connectwise.errors import UnsafeConditionValue

FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")

# How a double quote or a backslash inside a ConnectWise string literal is escaped is
# unconfirmed (the developer guide shows none), so string values are restricted to a
# whitelist: letters and digits of any script, the space, and ASCII punctuation other
# than `"` and `\`. A single quote is allowed: ConnectWise's lexer accepts both quote
# kinds, so inside a double-quoted literal `'` is an ordinary character. Control
# characters, other whitespace (tabs, newlines) and other symbols are refused. This is
# the ONE place that decision lives; widen it only once escaping is confirmed.
_SAFE_PUNCTUATION = frozenset(" !#$%&'()*+,-./:;<=>?@[]^_`{|}~")


def _safe_char(ch: str) -> bool:
    return ch in _SAFE_PUNCTUATION or ch.isalnum()


def field(name: str) -> str:
    """`name` if it is a valid (possibly nested, `a/b`) field name, else refuse it."""
    if not isinstance(name, str) or not FIELD_RE.match(name):
        raise UnsafeConditionValue(f"{name!r} is not a valid ConnectWise field name")
    return name


def quote(value: Any) -> str:
    """The ConnectWise literal for a value, or UnsafeConditionValue."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if not math.isfinite(value) or "e" in text:
            raise UnsafeConditionValue(f"cannot use the number {text} in a condition")
        return text
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise UnsafeConditionValue(
                f"datetime {value.isoformat()} has no time zone; give an aware datetime"
            )
        return "[" + value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "]"
    if isinstance(value, date):
        return "[" + value.strftime("%Y-%m-%dT00:00:00Z") + "]"
    if isinstance(value, str):
        bad = [ch for ch in value if not _safe_char(ch)]
        if bad:
            raise UnsafeConditionValue(
                f"cannot use {value!r} in a ConnectWise condition: character {bad[0]!r} "
                "cannot be quoted safely"
            )
        return f'"{value}"'
    raise UnsafeConditionValue(
        f"cannot use a {type(value).__name__} value in a ConnectWise condition"
    )


def _compare(name: str, op: str, value: Any) -> str:
    return f"{field(name)} {op} {quote(value)}"


def eq(name: str, value: Any) -> str:
    return _compare(name, "=", value)


def ne(name: str, value: Any) -> str:
    return _compare(name, "!=", value)


def lt(name: str, value: Any) -> str:
    return _compare(name, "<", value)


def le(name: str, value: Any) -> str:
    return _compare(name, "<=", value)


def gt(name: str, value: Any) -> str:
    return _compare(name, ">", value)


def ge(name: str, value: Any) -> str:
    return _compare(name, ">=", value)


def _text_op(name: str, op: str, value: str) -> str:
    if not isinstance(value, str):
        raise UnsafeConditionValue(f"{op} needs a string, not {type(value).__name__}")
    return _compare(name, op, value)


def like(name: str, pattern: str) -> str:
    """`name like "pattern"`; `*` or `%` are wildcards."""
    return _text_op(name, "like", pattern)


def not_like(name: str, pattern: str) -> str:
    return _text_op(name, "not like", pattern)


def contains(name: str, text: str) -> str:
    return _text_op(name, "contains", text)


def _list(values: Iterable[Any]) -> str:
    quoted = [quote(v) for v in values]
    if not quoted:
        raise UnsafeConditionValue("an `in (...)` condition needs at least one value")
    return "(" + ", ".join(quoted) + ")"


def in_(name: str, values: Iterable[Any]) -> str:
    """`name in (v1, v2, ...)`; at least one value."""
    return f"{field(name)} in {_list(values)}"


def not_in(name: str, values: Iterable[Any]) -> str:
    return f"{field(name)} not in {_list(values)}"


def _join(op: str, parts: tuple[str | None, ...]) -> str:
    kept = [p for p in parts if p]
    if len(kept) == 1:
        return kept[0]
    return f" {op} ".join(f"({p})" for p in kept)


def and_(*parts: str | None) -> str:
    """All of `parts` (empty ones skipped), each parenthesised."""
    return _join("and", parts)


def or_(*parts: str | None) -> str:
    """Any of `parts` (empty ones skipped), each parenthesised."""
    return _join("or", parts)
