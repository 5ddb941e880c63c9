"""List queries: conditions, orderBy, fields, navigable and forward-only paging, Link headers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from . import conditions as cond
from .responses import bad_request, field_error

DEFAULT_PAGE_SIZE = 25  # [guide]: pageSize defaults to 25
# [guide]: "a hard limit of 1,000 records" a page; whether a larger pageSize is clamped or
# refused is unverified. The sandbox clamps; the client never asks for more than 1000.
MAX_PAGE_SIZE = 1000


class Query:
    """Query parameters with case-insensitive names; keeps the original order for links."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.pairs = list(pairs)
        self._by_name = {k.lower(): v for k, v in self.pairs}

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self._by_name.get(name.lower())
        return default if value in (None, "") else value

    def integer(self, name: str, default: int) -> int:
        raw = self.get(name)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"{name} must be a whole number",
                              [field_error("InvalidField", f"{name} must be a whole number",
                                           "query", name)]) from None


def page_size(query: Query) -> int:
    size = query.integer("pageSize", DEFAULT_PAGE_SIZE)
    if size < 1:
        size = DEFAULT_PAGE_SIZE  # unconfirmed: a non-positive size falls back to the default
    return min(size, MAX_PAGE_SIZE)


def parse_conditions(text: str, known: Callable[[str], bool], *, cached: bool = True):
    """The tree of `conditions` (400 ConnectWise-style when they don't parse)."""
    try:
        return cond.parse_cached(text, known) if cached else cond.parse(text, known)
    except cond.ConditionError as exc:
        raise bad_request(f"conditions are invalid: {exc}", [field_error(
            "InvalidCondition", str(exc), "conditions", exc.field or "conditions")]) from None


def filter_records(records: list[dict], text: str | None, known: Callable[[str], bool],
                   *, tree=None, fast: bool = True) -> list:
    """Records matching `conditions` (or an already parsed `tree`); `fast` evaluates
    with the compiled predicate, else with the plain tree walk (same answers)."""
    if tree is None:
        if not text:
            return records
        tree = parse_conditions(text, known, cached=fast)
    if fast:
        matches = cond.compile_tree(tree)
        return [r for r in records if matches(r)]
    return [r for r in records if cond.evaluate(tree, r)]


def order(records: list[dict], text: str | None, known: Callable[[str], bool]) -> list[dict]:
    """Sort by `orderBy` ("name asc, id desc", [guide]); by id when absent (unverified:
    the gateway never relies on an order it did not ask for)."""
    result = sorted(records, key=lambda r: r.get("id") or 0)
    if not text:
        return result
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and
                                           words[1].lower() not in ("asc", "desc")):
            raise bad_request(f"orderBy is invalid near {part.strip()!r}")
        if not known(words[0]):
            raise bad_request(f"orderBy names an unknown field '{words[0]}'", [field_error(
                "InvalidField", f"unknown field '{words[0]}'", "orderBy", words[0])])
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    for field, desc in reversed(keys):  # stable sorts, last key first
        result.sort(key=lambda r, f=field: _sort_key(cond.lookup(r, f)), reverse=desc)
    return result


def _sort_key(value: Any) -> tuple:
    # Nulls sort first ascending, as in SQL Server; strings case-insensitively.
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value).lower())


def project(record: Mapping, fields_text: str | None) -> dict:
    """`fields=id,name,company/id`: only those paths ([guide]); unknown ones are left out
    and a null field is left out too (both unverified: the gateway's parser reads a field
    left out or null as empty, gateway/parse.py)."""
    if not fields_text:
        return dict(record)
    out: dict[str, Any] = {}
    for path in (p.strip() for p in fields_text.split(",")):
        if not path:
            continue
        parts = path.split("/")
        source: Any = record
        for part in parts:
            source = source.get(part) if isinstance(source, Mapping) else None
            if source is None:
                break
        if source is None:
            continue
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = source
    return out


def link(base_url: str, query: Query, drop: tuple[str, ...], last_name: str, value: int) -> str:
    """A URL with the other query parameters kept and `last_name=value` LAST
    ([pyconnectwise] reads the page number with `page=(\\d+)>; rel=`; [lazyadmin] shows
    `...?pageSize=1000&page=2>; rel="next"`)."""
    return _linker(base_url, query, drop, last_name)(value)


def _linker(base_url: str, query: Query, drop: tuple[str, ...],
            last_name: str) -> Callable[[int], str]:
    """`link` for several values: the other parameters (long `conditions`) encoded once."""
    pairs = [(k, v) for k, v in query.pairs if k.lower() not in drop]
    kept = urlencode(pairs, quote_via=quote)
    head = f"{base_url}?{kept}&" if kept else f"{base_url}?"
    name = quote(last_name, safe="")
    return lambda value: f"{head}{name}={quote(str(value), safe='')}"


def navigable(records: list, query: Query, base_url: str) -> tuple[list, str | None]:
    """One page and its Link header (first/prev/next/last; prev/next only where they
    exist: [guide], [lazyadmin]).

    A page past the end is an empty list, not an error (unverified; the client stops at
    an empty page and at a page without a next link either way).
    """
    size = page_size(query)
    page = max(1, query.integer("page", 1))
    last = max(1, -(-len(records) // size))
    chunk = records[(page - 1) * size : page * size]
    drop = ("page", "pageid")
    rels = [("first", 1)]
    if page > 1:
        rels.append(("prev", min(page - 1, last)))
    if page < last:
        rels.append(("next", page + 1))
    rels.append(("last", last))
    to_page = _linker(base_url, query, drop, "page")
    header = ", ".join(f'<{to_page(n)}>; rel="{rel}"' for rel, n in rels)
    return chunk, header


def forward_only(records: list, query: Query, base_url: str) -> tuple[list, str | None]:
    """`pagination-type: forward-only`: records with id > pageId by id; Link to the next
    pageId, none on the last page; orderBy is refused ([guide], [lazyadmin]: "treated
    like an additional condition of Id > pageId"). Unverified: whether the last page
    carries no Link or an empty one; the client stops on either."""
    if query.get("orderBy"):
        raise bad_request("orderBy is not allowed with forward-only pagination")
    size = page_size(query)
    after = query.integer("pageId", 0)
    rest = [r for r in sorted(records, key=lambda r: r["id"]) if r["id"] > after]
    chunk = rest[:size]
    if len(rest) <= size:
        return chunk, None
    return chunk, f'<{link(base_url, query, ("page", "pageid"), "pageId", chunk[-1]["id"])}>; ' \
                  'rel="next"'
