"""Whether a URL a ConnectWise answer names (a `next` page link) is on the configured site.

ConnectWise cloud serves its API at `api-na.myconnectwise.net` (also `api-eu`, `api-au`,
`api-staging.connectwisedev.com`) and its web client at `na.myconnectwise.net`; the
developer guide's paging example (PSA-Pagination.md, mirrored at gitea.resolutionflow.com/
chihlasm/resolutionflow docs/connectwise/best-practices) writes the Link header as
`<https://SERVERNAME/v4_6_release/apis/3.0/...&page=2>`, naming the server, so a link may
come back in either form of the host. Both forms are one site. Nothing else is: another
domain, another port, or http for an https site (never a downgrade). A followed link is
always sent to the configured origin itself, so the credentials it carries never reach a
host the user did not configure.
"""

from __future__ import annotations

import httpx

API_PREFIX = "api-"


def _sibling_key(host: str) -> tuple[str, str] | None:
    """(first label without `api-`, parent domain) for hosts with a parent of at least two
    labels; None for IP addresses and short names (no sibling form is assumed there)."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) < 3 or all(label.isdigit() for label in labels):
        return None
    first = labels[0].removeprefix(API_PREFIX)
    return (first, ".".join(labels[1:])) if first else None


def same_host(site_host: str, host: str) -> bool:
    """The same host, or its `api-` sibling under the same parent domain
    (`api-na.myconnectwise.net` and `na.myconnectwise.net`)."""
    if site_host.lower().rstrip(".") == host.lower().rstrip("."):
        return True
    ours, theirs = _sibling_key(site_host), _sibling_key(host)
    return ours is not None and ours == theirs


def same_site(site: httpx.URL, link: httpx.URL) -> bool:
    """Whether `link` is on the site at `site`: same scheme, same port, same host in
    either form."""
    return (link.scheme == site.scheme and link.port == site.port
            and same_host(site.host, link.host))


def on_site(site: httpx.URL, link: httpx.URL) -> httpx.URL:
    """`link`'s path and query on the configured origin."""
    return link.copy_with(scheme=site.scheme, host=site.host, port=site.port)
