"""Checks the schema cannot express: names defined in reconciler.yaml, cross-file rules.

Every check reads plain data defensively (a file with schema errors still gets its
semantic errors reported) and locates each problem at its node.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.hints import closest, did_you_mean
from reconciler.config.identifiers import condition_text_problem, passes_text_pattern
from reconciler.config.yamlio import Document
from reconciler.net.urls import url_problem as outbound_url_problem


@dataclass(frozen=True)
class Catalog:
    """The names customer files may use, taken from reconciler.yaml (when readable)."""

    products: tuple[str, ...] = ()
    hes: tuple[str, ...] = ()
    ems: dict[str, tuple[str, ...]] = field(default_factory=dict)
    known: bool = False  # False when reconciler.yaml could not be read: skip name checks
    collects_ems: bool = False  # sources.detections.email_security is set
    global_ems: bool = False  # the global policy sends Email Security summaries

    @classmethod
    def from_settings(cls, data: Any) -> Catalog:
        if not isinstance(data, dict):
            return cls()
        products = data.get("products")
        detections = data.get("detections")
        if not isinstance(products, dict) or not isinstance(detections, dict):
            return cls()
        ems_raw = detections.get("email_security")
        ems = (
            {k: _strings(v) for k, v in ems_raw.items() if isinstance(k, str)}
            if isinstance(ems_raw, dict)
            else {}
        )
        return cls(
            products=tuple(k for k in products if isinstance(k, str)),
            hes=_strings(detections.get("hosted_email_security")),
            ems=ems,
            known=True,
            collects_ems=isinstance(_get(data, "sources", "detections", "email_security"),
                                    dict),
            global_ems=isinstance(_get(data, "notifications", "email_security"), dict),
        )


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _suggest(word: str, candidates: Sequence[str]) -> str:
    return did_you_mean(word, candidates, list_all=True)


def _condition_text(doc: Document, path: list[Any], value: Any) -> Iterator[Diagnostic]:
    """Names used in ConnectWise conditions: the client's whitelist, beyond the schema's
    pattern (values the pattern refuses already have a schema error)."""
    if isinstance(value, str) and passes_text_pattern(value):
        problem = condition_text_problem(value, ".".join(str(p) for p in path))
        if problem:
            yield _at(doc, path, problem)


def _at(doc: Document, path: Sequence[Any], message: str, severity: str = "error") -> Diagnostic:
    line, col = doc.locate(path)
    return Diagnostic(doc.path, line, col, message, severity)  # type: ignore[arg-type]


def _at_key(doc: Document, path: Sequence[Any], key: str, message: str) -> Diagnostic:
    line, col = doc.locate_key(path, key)
    return Diagnostic(doc.path, line, col, message)


# -- reconciler.yaml ---------------------------------------------------------------------


def check_settings(doc: Document, customer_slugs: set[str] | None) -> Iterator[Diagnostic]:
    """Semantic checks of reconciler.yaml. `customer_slugs` None skips the slug check."""
    data = doc.data
    if not isinstance(data, dict):
        return
    catalog = Catalog.from_settings(data)
    url = _get(data, "connectwise", "url")
    if isinstance(url, str):
        problem = url_problem(url, "connectwise.url", allow_sandbox=True)
        if problem:
            yield _at(doc, ["connectwise", "url"], problem)
    for path in (["sources", "usage", "url"], ["sources", "detections", "url"],
                 ["sources", "detections", "email_security", "url"]):
        src_url = _get(data, *path)
        if isinstance(src_url, str):
            problem = url_problem(src_url, ".".join(path), allow_sandbox=True)
            if problem:
                yield _at(doc, path, problem)
    store = _get(data, "sources", "detections", "email_security", "path")
    if isinstance(store, str) and (store.startswith(("/", "\\")) or ".." in store.replace(
            "\\", "/").split("/")):
        yield _at(doc, ["sources", "detections", "email_security", "path"],
                  f"sources.detections.email_security.path {store!r} must be a folder inside "
                  "the fleet root (relative, without '..')")
    events = _get(data, "sources", "detections", "email_security", "events")
    if isinstance(events, dict) and catalog.known:
        every_ems = sorted({n for names in catalog.ems.values() for n in names})
        for name in events:
            if isinstance(name, str) and name not in every_ems:
                yield _at_key(doc, ["sources", "detections", "email_security", "events"], name,
                              f"unknown Email Security detection {name!r}"
                              + _suggest(name, every_ems))
    yield from _check_lmpi_products(doc, data.get("products"))
    tz = data.get("timezone")
    if isinstance(tz, str) and tz:
        problem = timezone_problem(tz)
        if problem:
            yield _at(doc, ["timezone"], problem)
    products = data.get("products")
    if isinstance(products, dict):
        seen: dict[str, str] = {}
        for key, product in products.items():
            item = _get(product, "catalog_item")
            if isinstance(item, str):
                if item.upper() in seen:
                    yield _at(
                        doc,
                        ["products", key, "catalog_item"],
                        f"catalog item {item!r} is also used by product {seen[item.upper()]!r}; "
                        "each product needs its own",
                    )
                else:
                    seen[item.upper()] = key
    if catalog.known:
        yield from check_policy(doc, ["notifications"], data.get("notifications"), catalog)
    tickets = data.get("tickets")
    if isinstance(tickets, dict):
        for key in ("board", "status", "priority", "type"):
            yield from _condition_text(doc, ["tickets", key], tickets.get(key))
    types = data.get("default_agreement_types")
    if isinstance(types, list):
        for index, name in enumerate(types):
            yield from _condition_text(doc, ["default_agreement_types", index], name)
    exceptions = _get(data, "safety", "quantity_exceptions")
    if customer_slugs is not None and isinstance(exceptions, list):
        for index, slug in enumerate(exceptions):
            if isinstance(slug, str) and slug not in customer_slugs:
                yield _at(
                    doc,
                    ["safety", "quantity_exceptions", index],
                    f"quantity_exceptions names {slug!r}, which is not a customer file"
                    + _suggest(slug, sorted(customer_slugs)),
                    "warning",
                )


def _check_lmpi_products(doc: Document, products: Any) -> Iterator[Diagnostic]:
    """Every usage row must belong to one product at most: no two products claim the same
    LMPI product name and service plan, and at most one leaves `service_plans` out."""
    if not isinstance(products, dict):
        return
    plans_seen: dict[tuple[str, str], str] = {}
    open_seen: dict[str, str] = {}
    for key, product in products.items():
        if not isinstance(product, dict):
            continue
        name = _get(product, "lmpi", "product_name")
        if not isinstance(name, str):
            name = product.get("name")
        if not isinstance(name, str):
            continue
        folded = " ".join(name.split()).casefold()
        plans = _get(product, "lmpi", "service_plans")
        if not isinstance(plans, list):
            if folded in open_seen:
                yield _at_key(doc, ["products"], key, (
                    f"products {open_seen[folded]!r} and {key!r} both take every service plan "
                    f"of LMPI product {name!r}; give one of them lmpi.service_plans"))
            else:
                open_seen[folded] = key
            continue
        for index, plan in enumerate(plans):
            if not isinstance(plan, str):
                continue
            seen_key = (folded, " ".join(plan.split()).casefold())
            if seen_key in plans_seen and plans_seen[seen_key] != key:
                yield _at(doc, ["products", key, "lmpi", "service_plans", index], (
                    f"service plan {plan!r} of LMPI product {name!r} is also listed by product "
                    f"{plans_seen[seen_key]!r}; a usage row must belong to one product"))
            plans_seen.setdefault(seen_key, key)


def url_problem(url: str, name: str, *, allow_sandbox: bool) -> str | None:
    """Why `url` is not an acceptable endpoint (the outbound-URL policy, reconciler.net.urls);
    never repeats credentials found in it. `sandbox` names the embedded simulator."""
    if allow_sandbox and url == "sandbox":
        return None
    expected = "'sandbox' or https://<site>" if allow_sandbox else "https://<site>"
    return outbound_url_problem(url, name, expected=expected)


def timezone_problem(name: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(name)
        return None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    match = closest(name, sorted(zoneinfo.available_timezones()))
    hint = f" (did you mean {match!r}?)" if match else " (e.g. 'America/New_York')"
    return f"timezone {name!r} is not an IANA time zone{hint}"


# -- policies (reconciler.yaml notifications, a customer's custom block) -------------------


def check_policy(
    doc: Document, path: list[Any], policy: Any, catalog: Catalog
) -> Iterator[Diagnostic]:
    """Product keys and detection names of one policy block."""
    if not isinstance(policy, dict) or not catalog.known:
        return
    products = _get(policy, "billing", "products")
    if isinstance(products, list):
        for index, key in enumerate(products):
            if isinstance(key, str) and key not in catalog.products:
                yield _at(
                    doc,
                    [*path, "billing", "products", index],
                    f"unknown product {key!r}" + _suggest(key, catalog.products),
                )
    hes = _get(policy, "hosted_email_security", "detections")
    if isinstance(hes, list):
        for index, name in enumerate(hes):
            if isinstance(name, str) and name not in catalog.hes:
                yield _at(
                    doc,
                    [*path, "hosted_email_security", "detections", index],
                    f"unknown Hosted Email Security detection {name!r}"
                    + _suggest(name, catalog.hes),
                )
    edition = _get(policy, "email_security", "edition")
    ems = _get(policy, "email_security", "detections")
    if isinstance(ems, list) and isinstance(edition, str) and edition in catalog.ems:
        allowed = catalog.ems[edition]
        for index, name in enumerate(ems):
            if not isinstance(name, str) or name in allowed:
                continue
            others = [e for e, names in catalog.ems.items() if e != edition and name in names]
            if others:
                message = (
                    f"detection {name!r} exists only in the {others[0]} edition of Email "
                    f"Security; this customer's edition is {edition}"
                )
            else:
                message = f"unknown Email Security detection {name!r}" + _suggest(name, allowed)
            yield _at(doc, [*path, "email_security", "detections", index], message)


# -- customer files ----------------------------------------------------------------------


def check_customer(doc: Document, catalog: Catalog) -> Iterator[Diagnostic]:
    """Checks of one customer file against reconciler.yaml."""
    data = doc.data
    if not isinstance(data, dict):
        return
    agreements = data.get("agreements")
    if isinstance(agreements, dict) and catalog.known:
        for key in agreements:
            if isinstance(key, str) and key not in catalog.products:
                yield _at_key(
                    doc,
                    ["agreements"],
                    key,
                    f"unknown product {key!r} in agreements" + _suggest(key, catalog.products),
                )
    if isinstance(agreements, dict):
        for key, ref in agreements.items():
            if isinstance(ref, dict):
                for part in ("type", "name"):
                    yield from _condition_text(doc, ["agreements", key, part], ref.get(part))
    settings = data.get("settings")
    if settings == "global" and "custom" in data:
        yield _at_key(
            doc,
            [],
            "custom",
            "a custom block beside `settings: global` would be ignored; remove it or set "
            "`settings: custom`",
        )
    if settings == "custom" and "custom" not in data:
        yield _at(doc, ["settings"], "`settings: custom` needs a `custom` block")
    if "custom" in data:
        yield from check_policy(doc, ["custom"], data.get("custom"), catalog)
    sends_ems = (settings == "custom" and isinstance(_get(data, "custom", "email_security"), dict)
                 ) or (settings == "global" and catalog.global_ems)
    if (catalog.collects_ems and sends_ems and data.get("integration") == "enabled"
            and isinstance(data.get("trend_micro"), dict)
            and "email_domains" not in data["trend_micro"]):
        yield _at(doc, ["trend_micro"], (
            "this customer gets Email Security summaries, which are collected from Trend Micro "
            "Email Security by mail domain: list its domains in trend_micro.email_domains"))


@dataclass(frozen=True)
class Identity:
    """What cross-file checks need from one customer file (so node trees can be dropped)."""

    slug: str
    path: str
    keys: tuple[tuple[str, tuple[int, int]] | None, ...]  # (value, line:col) per rule
    domains: tuple[tuple[str, tuple[int, int]], ...] = ()  # trend_micro.email_domains


_IDENTITY_RULES = (
    (("connectwise", "company"), "ConnectWise company"),
    (("trend_micro", "customer_id"), "Trend Micro customer ID"),
)


def identity(slug: str, doc: Document) -> Identity:
    keys = []
    for path, _label in _IDENTITY_RULES:
        value = _get(doc.data, *path)
        keys.append((value, doc.locate(list(path))) if isinstance(value, str) else None)
    domains = _get(doc.data, "trend_micro", "email_domains")
    found = tuple(
        (value, doc.locate(["trend_micro", "email_domains", index]))
        for index, value in enumerate(domains if isinstance(domains, list) else [])
        if isinstance(value, str))
    return Identity(slug, doc.path, tuple(keys), found)


def check_across(
    identities: Sequence[Identity], *, every_file: bool = False
) -> Iterator[Diagnostic]:
    """Rules across customer files: one file per company, Trend Micro ID and slug.

    Identifiers compare case-insensitively: ConnectWise matches them that way. The error
    sits on each later file; `every_file` also puts one on the first file of a clash
    (a partial load rejects every file involved, and each needs its reason).
    """
    for index, (_path, label) in enumerate(_IDENTITY_RULES):
        first: dict[str, tuple[Identity, str, int, int]] = {}
        clashed: dict[str, list[str]] = {}
        for ident in identities:
            key = ident.keys[index]
            if key is None:
                continue
            value, (line, col) = key
            norm = value.casefold()
            if norm in first:
                other, _, other_line, _ = first[norm]
                clashed.setdefault(norm, []).append(f"{ident.path}:{line}")
                yield Diagnostic(
                    ident.path,
                    line,
                    col,
                    f"{label} {value!r} is also used by {other.path}:{other_line}; "
                    "one file per customer",
                )
            else:
                first[norm] = (ident, value, line, col)
        if every_file:
            for norm, others in clashed.items():
                ident, value, line, col = first[norm]
                yield Diagnostic(
                    ident.path,
                    line,
                    col,
                    f"{label} {value!r} is also used by {', '.join(others)}; "
                    "one file per customer",
                )
    yield from _domain_clashes(identities, every_file)
    slugs: dict[str, str] = {}
    clashing_slugs: dict[str, list[str]] = {}
    for ident in identities:
        if ident.slug in slugs:
            clashing_slugs.setdefault(ident.slug, []).append(ident.path)
            yield Diagnostic(
                ident.path,
                1,
                1,
                f"customer slug {ident.slug!r} is also the name of {slugs[ident.slug]}; "
                "file names must be unique",
            )
        else:
            slugs[ident.slug] = ident.path
    if every_file:
        for slug, others in clashing_slugs.items():
            yield Diagnostic(
                slugs[slug],
                1,
                1,
                f"customer slug {slug!r} is also the name of {', '.join(others)}; "
                "file names must be unique",
            )


def _domain_clashes(identities: Sequence[Identity], every_file: bool) -> Iterator[Diagnostic]:
    """A mail domain belongs to one customer: its logs would otherwise count twice."""
    first: dict[str, tuple[Identity, int, int]] = {}
    clashed: dict[str, list[str]] = {}
    for ident in identities:
        for value, (line, col) in ident.domains:
            norm = value.casefold()
            if norm in first and first[norm][0].path != ident.path:
                other, other_line, _ = first[norm]
                clashed.setdefault(norm, []).append(f"{ident.path}:{line}")
                yield Diagnostic(ident.path, line, col,
                                 f"mail domain {value!r} is also listed by {other.path}:"
                                 f"{other_line}; a domain's detections belong to one customer")
            else:
                first.setdefault(norm, (ident, line, col))
    if every_file:
        for norm, others in clashed.items():
            ident, line, col = first[norm]
            yield Diagnostic(ident.path, line, col,
                             f"mail domain {norm!r} is also listed by {', '.join(others)}; a "
                             "domain's detections belong to one customer")
