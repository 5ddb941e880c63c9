"""Paging: the `Link` header ConnectWise uses for both paging modes, and the guard that
stops a server paging in circles."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import httpx

from reconciler.connectwise.errors import UnusableAnswer
from reconciler.net.bounded import megabytes

_LINK_RE = re.compile(r"<([^>]*)>([^<]*)")
_REL_RE = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|([^\s;,]+))""", re.IGNORECASE)


def parse_link_header(value: str | None) -> dict[str, str]:
    """rel -> URL for an RFC 8288 `Link` header (`<url>; rel="next", <url>; rel="last"`).

    URLs sit between angle brackets, so commas inside them (as in `in (1, 2)`) are safe.
    """
    links: dict[str, str] = {}
    for url, params in _LINK_RE.findall(value or ""):
        match = _REL_RE.search(params)
        if not match:
            continue
        for rel in (match.group(1) or match.group(2)).lower().split():
            links.setdefault(rel, url.strip())
    return links


def next_url(response: httpx.Response) -> httpx.URL | None:
    """The absolute `rel="next"` URL of a response, if it has one."""
    target = parse_link_header(response.headers.get("Link")).get("next")
    if not target:
        return None
    return response.request.url.join(target)


class PageGuard:
    """Bounds one list read: a server whose `Link` header returns to any earlier page,
    which serves the same page again whatever page is asked for, or which never stops
    serving full pages of new records, ends in UnusableAnswer (never a loop); so does a
    list whose pages together exceed the size cap."""

    def __init__(self, path: str, max_pages: int, max_bytes: int) -> None:
        self._path = path
        self._max_pages = max_pages
        self._max_bytes = max_bytes
        self._seen: dict[str, int] = {}  # page URL -> its page number
        self._bytes = 0
        self._previous_ids: list[Any] | None = None

    def _stop(self, message: str) -> UnusableAnswer:
        return UnusableAnswer(200, "", message, (), "GET", self._path)

    def read(self, url: httpx.URL, size: int, records: Sequence[dict[str, Any]]) -> None:
        """Account for a page just read (before its records are used)."""
        number = len(self._seen) + 1
        self._seen.setdefault(str(url), number)
        self._bytes += size
        if self._bytes > self._max_bytes:
            raise self._stop(f"the list is larger than {megabytes(self._max_bytes)} "
                             f"after {number} pages")
        ids = [record.get("id") for record in records]
        if records and None not in ids:  # without ids (fields=...) pages may look alike
            if ids == self._previous_ids:
                raise self._stop(f"page {number} repeats the records of page {number - 1}: "
                                 "the server ignores the paging parameters")
            self._previous_ids = ids

    def check_next(self, url: httpx.URL | str) -> None:
        """Refuse to ask for `url` if it was read already or the page budget is spent."""
        earlier = self._seen.get(str(url))
        if earlier is not None:
            raise self._stop(f"the next-page link returns to page {earlier} "
                             "(paging in circles)")
        if len(self._seen) >= self._max_pages:
            raise self._stop(f"more than {self._max_pages} pages: stopped reading (paging "
                             "without end?)")
