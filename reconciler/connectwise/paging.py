"""Parsing of the `Link` header ConnectWise uses for both paging modes."""

from __future__ import annotations

import re

import httpx

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
