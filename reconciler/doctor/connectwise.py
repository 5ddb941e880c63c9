"""Doctor's ConnectWise checks: the site, the API member's keys and clientId, the codebase,
the API version, the clock, read access to every kind of record the tool reads, and that
what reconciler.yaml and the customer files name exists there. Read-only."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime

import httpx

from reconciler.config.model import Fleet
from reconciler.connectwise import (
    ConnectWiseError,
    Forbidden,
    MissingCredentials,
    SiteError,
    Unauthorized,
)
from reconciler.connectwise.errors import VERSION_HINT
from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.permissions import READS, grant
from reconciler.connectwise.records import Ref, SiteFacts
from reconciler.doctor.model import Check
from reconciler.domain.fold import fold
from reconciler.errors import ReconcilerError
from reconciler.sends.routing import RoutingError, pick

KEYS_SCREEN = "ConnectWise: System > Members > API Members > (the member) > API Keys"
CLIENT_ID_PORTAL = "developer.connectwise.com > Client ID"
CREDENTIALS_FIX = (
    f"CW_PUBLIC_KEY and CW_PRIVATE_KEY: a key pair of the API member ({KEYS_SCREEN}); "
    "CW_COMPANY_ID: the company ID you sign in with; CW_CLIENT_ID: your integration's "
    f"clientId ({CLIENT_ID_PORTAL}). In CI: the environment's secrets")
SITE_FIX = ("connectwise.url in reconciler.yaml: your site, e.g. https://api-na.myconnectwise.net "
            "(api-eu, api-au elsewhere) or https://<your server>; and CW_COMPANY_ID: the "
            "company ID you sign in with")
SETUP_TABLES = "ConnectWise: System > Setup Tables"
_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}\}?$")
# Trend Micro's LMPI refuses signatures whose time is this far off (DESIGN: 15 minutes).
LMPI_MAX_SKEW = 15 * 60
CLOSE_ENOUGH = 60


def _release(version: str | None) -> tuple[int, int] | None:
    match = re.match(r"^(\d{4})\.(\d{1,2})$", version or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def site(url: str, sandbox: bool) -> Check:
    """The configured site; a cloud site named by its web host instead of its API host."""
    if sandbox:
        return Check("connectwise.site", "ok", "the embedded sandbox (connectwise.url: "
                     "sandbox), not a real site")
    host = httpx.URL(url).host.lower()
    # [guide]: cloud sites serve the API at api-na / api-eu / api-au .myconnectwise.net; the
    # web client's host (na.myconnectwise.net) is where people sign in
    if host.endswith(".myconnectwise.net") and not host.startswith("api-"):
        return Check("connectwise.site", "warn", f"{url} is ConnectWise's web host; its API "
                     f"is served at https://api-{host}",
                     f"connectwise.url in reconciler.yaml: https://api-{host}")
    return Check("connectwise.site", "ok", url)


def credentials(open_gateway: Callable[[], Gateway], env: Mapping[str, str], sandbox: bool
                ) -> tuple[list[Check], Gateway | None]:
    """The CW_* variables, and the gateway they open."""
    checks = []
    try:
        gateway = open_gateway()
    except MissingCredentials as exc:
        return [Check("connectwise.credentials", "fail", str(exc), CREDENTIALS_FIX)], None
    except SiteError as exc:
        fix = ("the fleet root must hold a writable .reconciler folder for the sandbox's "
               "state" if sandbox else SITE_FIX)
        return [Check("connectwise.site", "fail", str(exc), fix)], None
    client_id = (env.get("CW_CLIENT_ID") or "").strip()
    if client_id and not _GUID.match(client_id):
        checks.append(Check("connectwise.client_id", "warn", "CW_CLIENT_ID is not a GUID; "
                            "ConnectWise issues clientIds as GUIDs",
                            f"CW_CLIENT_ID: your integration's clientId ({CLIENT_ID_PORTAL})"))
    where = "the sandbox's defaults, overridden by any CW_* variable set" if sandbox else \
        "CW_COMPANY_ID, CW_PUBLIC_KEY, CW_PRIVATE_KEY and CW_CLIENT_ID"
    checks.insert(0, Check("connectwise.credentials", "ok", f"taken from {where}"))
    return checks, gateway


def login(gateway: Gateway) -> tuple[list[Check], SiteFacts | None]:
    """Codebase discovery, then one authenticated read (keys, clientId, API version)."""
    try:
        facts = gateway.site()
    except SiteError as exc:
        return [Check("connectwise.codebase", "fail", str(exc), SITE_FIX)], None
    except ConnectWiseError as exc:
        discovered = Check("connectwise.codebase", "ok",
                           "the site answered codebase discovery for CW_COMPANY_ID")
        if VERSION_HINT in str(exc) or exc.status == 406:
            return [discovered, Check("connectwise.login", "ok", "the keys were not refused"),
                    Check("connectwise.api_version", "fail", str(exc),
                          'connectwise.api_version in reconciler.yaml: a version the site '
                          'serves, e.g. "2025.1" (quoted)')], None
        if isinstance(exc, Unauthorized):
            return [discovered, Check("connectwise.login", "fail", str(exc),
                                      CREDENTIALS_FIX)], None
        if isinstance(exc, Forbidden):
            return [discovered, Check("connectwise.login", "fail", str(exc),
                                      grant(READS["companies"]))], None
        return [discovered, Check("connectwise.login", "fail", str(exc),
                                  "try again later; if it persists, check connectwise.url in "
                                  "reconciler.yaml")], None
    checks = [Check("connectwise.codebase", "ok", f"{facts.codebase}"),
              Check("connectwise.login", "ok", "the API member's keys and clientId were "
                    "accepted"), api_version(facts)]
    return checks, facts


def api_version(facts: SiteFacts) -> Check:
    asked = facts.api_version or "the latest (no version asked for)"
    if facts.current_version is None:
        return Check("connectwise.api_version", "ok",
                     f"{asked} accepted (the site did not say its own version)")
    mine, theirs = _release(facts.api_version), _release(facts.current_version)
    if mine and theirs and mine > theirs:
        # Unverified whether ConnectWise refuses a newer version or serves its own models
        return Check("connectwise.api_version", "warn",
                     f"{asked} was asked for but the site runs {facts.current_version}; it "
                     "may answer with models of its own version",
                     f'connectwise.api_version in reconciler.yaml: "{facts.current_version}" '
                     "or older")
    return Check("connectwise.api_version", "ok",
                 f"{asked} accepted (the site runs {facts.current_version})")


def clock(facts: SiteFacts, now: datetime, signs_requests: bool) -> Check:
    """This machine's clock against the site's `Date` header."""
    if facts.server_time is None:
        return Check("clock", "skip", "the site sent no Date header to compare with")
    skew = (now - facts.server_time).total_seconds()
    text = (f"this machine's clock is {abs(skew):.0f} s "
            f"{'ahead of' if skew > 0 else 'behind'} the site's")
    fix = "synchronise this machine's clock (NTP, e.g. timedatectl set-ntp true)"
    if abs(skew) <= CLOSE_ENOUGH:
        return Check("clock", "ok", f"within {CLOSE_ENOUGH} s of the site's clock")
    if abs(skew) > LMPI_MAX_SKEW and signs_requests:
        return Check("clock", "fail", f"{text}: Trend Micro's LMPI refuses requests signed "
                     f"more than {LMPI_MAX_SKEW // 60} minutes off", fix)
    return Check("clock", "warn", f"{text}: schedules and send times follow this clock", fix)


def read_access(gateway: Gateway) -> list[Check]:
    checks = []
    for access in gateway.read_access():
        name = "connectwise.read." + access.resource.replace(" ", "_")
        if access.skipped:
            checks.append(Check(name, "skip", f"{access.path}: {access.skipped}"))
        elif access.error is None:
            checks.append(Check(name, "ok", f"{access.path} is readable"))
        elif isinstance(access.error, Forbidden) and access.resource in READS:
            checks.append(Check(name, "fail", str(access.error), grant(READS[access.resource])))
        else:
            checks.append(Check(name, "fail", str(access.error), "try again later"))
    return checks


def routing(gateway: Gateway, fleet: Fleet) -> list[Check]:
    """tickets.board, .status, .priority, .type exist; the board can close a duplicate."""
    tickets = fleet.settings.tickets
    where = f"{SETUP_TABLES} > Service Board > {tickets.board}"
    try:
        board = pick(gateway.boards(), tickets.board, "board")
    except RoutingError as exc:
        return [Check("connectwise.tickets.board", "fail", str(exc),
                      f"tickets.board in reconciler.yaml, or add the board ({SETUP_TABLES} > "
                      "Service Board)")]
    checks = [Check("connectwise.tickets.board", "ok", f"{board.name} (id {board.id})")]
    statuses = gateway.board_statuses(board.id)
    checks.append(_named("connectwise.tickets.status", statuses, tickets.status,
                         f"status on board {tickets.board!r}:",
                         f"tickets.status in reconciler.yaml, or add it ({where} > Statuses)"))
    checks.append(_named("connectwise.tickets.priority", gateway.priorities(), tickets.priority,
                         "priority", f"tickets.priority in reconciler.yaml, or add it "
                         f"({SETUP_TABLES} > Priority)"))
    if tickets.type:
        checks.append(_named("connectwise.tickets.type", gateway.board_types(board.id),
                             tickets.type, f"type on board {tickets.board!r}:",
                             f"tickets.type in reconciler.yaml, or add it ({where} > Types)"))
    closed = [s for s in statuses if s.closed and not s.inactive]
    if closed:
        checks.append(Check("connectwise.tickets.closed_status", "ok",
                            f"a race's duplicate ticket is closed with {closed[0].name!r}"))
    else:
        checks.append(Check("connectwise.tickets.closed_status", "warn",
                            f"board {board.name!r} has no active closed status: a race's "
                            "duplicate ticket can be marked but not closed",
                            f"add a status with Closed ticked ({where} > Statuses)"))
    return checks


def _named(name: str, refs: list[Ref], wanted: str, what: str, fix: str) -> Check:
    try:
        found = pick(refs, wanted, what)
    except RoutingError as exc:
        return Check(name, "fail", str(exc), fix)
    if found.inactive:
        return Check(name, "fail", f"{found.name} (id {found.id}) is inactive", fix)
    return Check(name, "ok", f"{found.name} (id {found.id})")


def agreement_types(gateway: Gateway, fleet: Fleet) -> list[Check]:
    """The default agreement types and every type a customer file names."""
    explicit = {ref.type for c in fleet.customers if c.enabled for ref in c.agreements.values()
                if ref.type}
    defaults = list(fleet.settings.default_agreement_types)
    wanted = sorted({*defaults, *explicit}, key=fold)
    found = {fold(t.name): t for t in gateway.agreement_types(wanted) if not t.inactive}
    missing_defaults = [t for t in defaults if fold(t) not in found]
    missing_explicit = sorted((t for t in explicit if fold(t) not in found), key=fold)
    fix = ("create it in ConnectWise (System > Setup Tables > Agreement Type), or correct the "
           "name")
    checks = []
    if missing_explicit:
        checks.append(Check("connectwise.agreement_types", "fail",
                            "customer files name agreement types that do not exist (or are "
                            "inactive): " + ", ".join(missing_explicit),
                            f"agreements.<product>.type in those customer files; or {fix}"))
    if len(missing_defaults) == len(defaults):
        checks.append(Check("connectwise.default_agreement_types", "fail",
                            "none of default_agreement_types exists: "
                            + ", ".join(defaults), f"default_agreement_types in "
                            f"reconciler.yaml; or {fix}"))
    elif missing_defaults:
        checks.append(Check("connectwise.default_agreement_types", "warn",
                            "not found (skipped when a default agreement is looked for): "
                            + ", ".join(missing_defaults),
                            f"default_agreement_types in reconciler.yaml; or {fix}"))
    if not checks:
        checks.append(Check("connectwise.agreement_types", "ok",
                            f"every agreement type named exists ({len(wanted)})"))
    return checks


def catalog_items(gateway: Gateway, fleet: Fleet) -> list[Check]:
    """Every product's catalog item exists and is active (billed ones must)."""
    products = fleet.settings.products
    billed = {p for c in fleet.customers if c.enabled for p in c.billed_products}
    found = {fold(i.identifier): i for i in gateway.catalog_items(
        sorted({p.catalog_item for p in products.values()}))}
    checks = []
    for key, product in sorted(products.items()):
        item = found.get(fold(product.catalog_item))
        problem = ("does not exist" if item is None else
                   "is inactive" if item.inactive else "")
        name = f"connectwise.catalog.{key}"
        if not problem:
            checks.append(Check(name, "ok", f"{product.catalog_item} (id {item.id})"))
            continue
        status = "fail" if key in billed else "warn"
        checks.append(Check(name, status, f"catalog item {product.catalog_item} {problem}"
                            + ("" if key in billed else " (no enabled customer bills it)"),
                            f"products.{key}.catalog_item in reconciler.yaml, or the item in "
                            "ConnectWise (Procurement > Product Catalog)"))
    return checks


def configured(gateway: Gateway, fleet: Fleet) -> list[Check]:
    """What reconciler.yaml and the customer files name, each read once."""
    checks: list[Check] = []
    for part in (routing, agreement_types, catalog_items):
        try:
            checks += part(gateway, fleet)
        except ReconcilerError as exc:
            checks.append(Check(f"connectwise.{part.__name__}", "fail", str(exc),
                                "see the read access checks above"))
    return checks
