"""Splitting `field in (...)` over many values so every request URL stays short.

ConnectWise discourages URLs over ~2,000 characters. Lengths are measured on the fully
percent-encoded URL: a non-ASCII character can take up to 12 characters once encoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpx

from reconciler.connectwise import conditions as cond


def encoded_length(text: str) -> int:
    """Length of `text` once encoded as a query parameter value (as httpx encodes it)."""
    return len(str(httpx.QueryParams({"c": text}))) - 2


def in_conditions(
    field: str,
    values: Iterable[Any],
    url_length: Callable[[str], int],
    *,
    conditions: str | None = None,
    max_url_length: int,
) -> list[tuple[str, tuple[Any, ...]]]:
    """`conditions` strings (`(conditions) and (field in (...))`), each making a request
    URL shorter than `max_url_length`, with the values it carries; `url_length(condition)`
    measures one exactly. Values are deduplicated (first occurrence kept) and each is used
    once, in order."""
    unique = list(dict.fromkeys(values))
    quoted = [cond.quote(v) for v in unique]
    cond.field(field)
    if not quoted:
        return []

    def build(chunk: list[str]) -> str:
        return cond.and_(conditions, f"{field} in ({', '.join(chunk)})")

    # Exact length for a chunk's first value; then percent-encoding is per character, so
    # each further value adds exactly its encoded length plus the separator's.
    separator = encoded_length(", ")
    chunks: list[list[str]] = []
    current: list[str] = []
    length = 0
    for literal in quoted:
        grown = length + separator + encoded_length(literal)
        if current and grown < max_url_length:
            current.append(literal)
            length = grown
            continue
        if current:
            chunks.append(current)
        current, length = [literal], url_length(build([literal]))
        if length >= max_url_length:
            raise cond.UnsafeConditionValue(
                f"the value {literal[:60]}... alone makes a request URL of {length} "
                f"characters, over {max_url_length}"
            )
    chunks.append(current)
    out, taken = [], 0
    for chunk in chunks:
        out.append((build(chunk), tuple(unique[taken:taken + len(chunk)])))
        taken += len(chunk)
    return out
