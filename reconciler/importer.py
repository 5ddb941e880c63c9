"""`import`: customer YAML written from live ConnectWise, mapping each managed addition
back to its agreement.

For each company: its live managed additions (catalog items in `products`, on active
agreements) become the billed products; each product maps to `default` when it sits on
the company's default agreement, else to `{type, name}` of its agreement (which must be
unique, or the company is refused). The file uses `settings: global` when the products
are exactly the global billing products, else `custom` with the global billing day and
the global summary blocks. The Trend Micro customer ID is not in ConnectWise: without
`trend_micro_id` the file gets a placeholder and `integration: disabled` (nothing is
touched until someone fills it in). Every file written is validated with the fleet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from reconciler.config import validate
from reconciler.config.fleet import CUSTOMERS_DIR
from reconciler.config.model import Customer, Fleet, Policy, Settings
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Addition, Agreement, Company
from reconciler.domain.agreements import default_agreement
from reconciler.domain.fold import fold
from reconciler.errors import ReconcilerError
from reconciler.plan import snapshot as snapshot_mod


class CompanyNotImportable(ReconcilerError):
    """A company that cannot be written as a customer file."""


@dataclass
class Imported:
    """The result for one company: a file written, or why not."""

    company: str
    path: str | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def slug_for(identifier: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", identifier.casefold()).strip("-")
    return slug or "company"


def policy_dict(policy: Policy) -> dict:
    """A Policy back in customer-file shape (only the blocks that are on)."""
    out: dict[str, Any] = {}
    if policy.billing:
        out["billing"] = {"day": policy.billing.day, "products": list(policy.billing.products)}
    for kind in ("hosted_email_security", "email_security"):
        block = policy.summary(kind)
        if block:
            data: dict[str, Any] = {}
            if block.edition:
                data["edition"] = block.edition
            data["every"] = block.every
            data["detections"] = list(block.detections)
            out[kind] = data
    return out


def company_document(
    company: Company,
    agreements: Sequence[Agreement],
    additions: dict[int, list[Addition]],
    settings: Settings,
    today: date,
    trend_micro_id: str | None,
) -> tuple[dict, list[str]]:
    """The customer-file data for one company, and notes for the user."""
    notes: list[str] = []
    by_item = {fold(p.catalog_item): p.key for p in settings.products.values()}
    default = default_agreement(agreements, settings.default_agreement_types)
    active = [a for a in agreements if a.active]
    placed: dict[str, Agreement] = {}  # product key -> agreement it is billed on
    for agreement in sorted(active, key=lambda a: a.id):
        for addition in sorted(additions.get(agreement.id, []), key=lambda x: x.id):
            product = by_item.get(fold(addition.product))
            if product is None or not addition.live_on(today):
                continue
            if product not in placed:
                placed[product] = agreement
            elif default is not None and agreement.id == default.id:
                notes.append(f"{product} is on several agreements; mapped to the default one")
                placed[product] = agreement
            else:
                notes.append(f"{product} is also on agreement {agreement.name} "
                             f"(id {agreement.id}); plan will cancel that one")
    mapping: dict[str, Any] = {}
    for product, agreement in sorted(placed.items()):
        if default is not None and agreement.id == default.id:
            mapping[product] = "default"
            continue
        same = [a for a in active if fold(a.name) == fold(agreement.name)
                and fold(a.type_name) == fold(agreement.type_name)]
        if len(same) != 1:
            raise CompanyNotImportable(
                f"company {company.identifier}: {product} is on agreement "
                f"'{agreement.type_name} / {agreement.name}', which is not unique "
                "among its active agreements, so it cannot be named in a customer file"
            )
        mapping[product] = {"type": agreement.type_name, "name": agreement.name}
    products = sorted(placed)
    glob = settings.notifications
    doc: dict[str, Any] = {
        "name": company.name or company.identifier,
        "connectwise": {"company": company.identifier},
        "trend_micro": {
            "customer_id": trend_micro_id or f"unset-{slug_for(company.identifier)}"
        },
        "integration": "enabled" if trend_micro_id else "disabled",
    }
    if mapping:
        doc["agreements"] = mapping
    if glob.billing and sorted(glob.billing.products) == products:
        doc["settings"] = "global"
    else:
        custom = policy_dict(glob)
        custom["billing"] = {"day": glob.billing.day if glob.billing else 1, "products": products}
        doc["settings"] = "custom"
        doc["custom"] = {"billing": custom.pop("billing"), **custom}
    return doc, notes


class _Dumper(yaml.SafeDumper):
    """Block mappings and flow lists, like the hand-written customer files."""


_Dumper.add_representer(
    list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)


def render_file(doc: dict, identifier: str, today: date, placeholder: bool) -> str:
    header = [
        "# yaml-language-server: $schema=../schemas/customer.schema.json",
        f"# Imported from ConnectWise company {identifier} on {today.isoformat()}.",
    ]
    if placeholder:
        header.append("# TODO: set trend_micro.customer_id to the customer's Trend Micro ID, "
                      "then set integration: enabled.")
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    return "\n".join(header) + "\n" + body


def import_companies(
    gateway: Gateway,
    fleet: Fleet,
    identifiers: Sequence[str] | None,
    *,
    today: date,
    overwrite: bool = False,
    trend_micro_id: str | None = None,
) -> list[Imported]:
    """Write customers/<slug>.yaml for each company (None: every candidate company)."""
    settings = fleet.settings
    existing = {fold(c.company): c for c in fleet.customers}
    if identifiers is None:
        identifiers = candidate_companies(gateway, settings, set(existing))
    results: list[Imported] = []
    wanted = []
    for ident in dict.fromkeys(identifiers):
        current = existing.get(fold(ident))
        if current is not None and not overwrite:
            results.append(Imported(ident, error=f"company {ident} already has {current.path} "
                                    "(use --overwrite to replace it)"))
        else:
            wanted.append(ident)
    if not wanted:
        return results
    stand_ins = [_stand_in(i) for i in wanted]
    snap = snapshot_mod.read(gateway, settings, stand_ins, today=today)
    for ident in wanted:
        results.append(_import_one(fleet, snap, ident, existing.get(fold(ident)), today,
                                   overwrite, trend_micro_id))
    return results


def _import_one(fleet: Fleet, snap: snapshot_mod.Snapshot, ident: str,
                existing: Customer | None, today: date, overwrite: bool,
                trend_micro_id: str | None) -> Imported:
    problem = snap.problem(ident)
    if problem is not None:
        return Imported(ident, error=f"company {ident}: {problem}")
    company = snap.company(ident)
    if company is None:
        close = snap.suggestions.get(fold(ident), ())
        hint = f"; closest identifiers: {', '.join(close)}" if close else ""
        return Imported(ident, error=f"company {ident} does not exist in ConnectWise{hint}")
    if company.deleted:
        return Imported(ident, error=f"company {ident} is deleted in ConnectWise")
    agreements = snap.agreements.get(company.id, [])
    try:
        doc, notes = company_document(company, agreements, snap.additions, fleet.settings, today,
                                      trend_micro_id)
    except CompanyNotImportable as exc:
        return Imported(ident, error=str(exc))
    rel = existing.path if existing else f"{CUSTOMERS_DIR}/{slug_for(company.identifier)}.yaml"
    path = Path(fleet.root) / rel
    if path.exists() and not overwrite:
        return Imported(ident, error=f"{rel} already exists (use --overwrite to replace it)")
    try:
        previous = path.read_bytes() if path.exists() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_file(doc, company.identifier, today, not trend_micro_id),
                        encoding="utf-8")
    except OSError as exc:  # a folder in the way, a dangling link, no permission...
        return Imported(ident, error=f"cannot write {rel}: {exc.strerror or type(exc).__name__}")
    problems = [d for d in validate(fleet.root, [rel]) if d.severity == "error"]
    if problems:  # never leave a file behind that would break validate
        if previous is None:
            path.unlink()
        else:
            path.write_bytes(previous)
        return Imported(ident, error=f"the generated {rel} does not validate: {problems[0]}")
    return Imported(ident, path=rel, notes=notes)


def _stand_in(identifier: str) -> Customer:
    """A minimal Customer so the snapshot reader can be reused for any company."""
    return Customer(slug=slug_for(identifier), path="", name="", company=identifier,
                    trend_micro_id="", enabled=True, settings="global", agreements={},
                    policy=Policy())


def candidate_companies(gateway: Gateway, settings: Settings, known: set[str]) -> list[str]:
    """Companies without a file that hold an active agreement of a default type (a
    malformed agreement stops the import: which company it belongs to is unknown)."""
    found = gateway.active_agreements_of_types(settings.default_agreement_types)
    if found.malformed:
        raise found.malformed[0]
    identifiers = {a.company_identifier for a in found.records}
    return sorted(i for i in identifiers if i and fold(i) not in known)
