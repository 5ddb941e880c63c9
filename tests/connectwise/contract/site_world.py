"""The contract suite against a real ConnectWise site, chosen by environment variables.

    RECONCILER_CONTRACT_SITE=https://api-na.myconnectwise.net   # turns the site on
    CW_COMPANY_ID, CW_PUBLIC_KEY, CW_PRIVATE_KEY, CW_CLIENT_ID  # as for the product
    RECONCILER_CONTRACT_COMPANY=ACME        # a company whose records the read tests read
    RECONCILER_CONTRACT_BOARD="Billing"     # optional: the board to read (default: first)
    RECONCILER_CONTRACT_API_VERSION=2025.1  # optional: as connectwise.api_version
    # writes, only when asked for, and only on the company named here:
    RECONCILER_CONTRACT_WRITES=1
    RECONCILER_CONTRACT_WRITE_COMPANY=ZZTEST  # a test company: additions and tickets go there
    RECONCILER_CONTRACT_CATALOG_ITEM=TM-WFBSS  # the item whose additions the tests create

The World is read from the site with the plain REST client (never the gateway under
test): what exists there is what the gateway must find. Every addition a write test
creates is cancelled and every ticket it creates is closed when the test ends (nothing
can be deleted: the API member's role has no delete).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from reconciler.connectwise import ConnectWiseClient, conditions
from reconciler.connectwise.connect import credentials_from
from tests.connectwise.contract.world import World

SITE = "RECONCILER_CONTRACT_SITE"
WRITES = "RECONCILER_CONTRACT_WRITES"


def enabled(env: Mapping[str, str] = os.environ) -> bool:
    return bool(env.get(SITE, "").strip())


def writes_enabled(env: Mapping[str, str] = os.environ) -> bool:
    return enabled(env) and env.get(WRITES, "").strip() == "1"


def required(env: Mapping[str, str], name: str, why: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise RuntimeError(f"{name} is required {why}")
    return value


def client(env: Mapping[str, str] = os.environ, **options: Any) -> ConnectWiseClient:
    version = env.get("RECONCILER_CONTRACT_API_VERSION", "").strip() or "2025.1"
    return ConnectWiseClient(env[SITE].strip(), credentials_from(env), api_version=version,
                             **options)


def _first(cw: ConnectWiseClient, path: str, condition: str | None, fields: str
           ) -> dict | None:
    page = cw.get(path, {**({"conditions": condition} if condition else {}), "fields": fields,
                         "pageSize": 1, "page": 1})
    return page[0] if page else None


def _text(record: dict, *path: str) -> Any:
    for part in path:
        record = record.get(part) if isinstance(record, dict) else None
    return record


def site_world(cw: ConnectWiseClient, env: Mapping[str, str] = os.environ) -> World:
    """What the site holds, as the contract tests need it."""
    identifier = required(env, "RECONCILER_CONTRACT_COMPANY", "with RECONCILER_CONTRACT_SITE")
    company = _first(cw, "/company/companies", conditions.eq("identifier", identifier),
                     "id,identifier,name")
    if company is None:
        raise RuntimeError(f"RECONCILER_CONTRACT_COMPANY {identifier} is not a company there")
    agreements = cw.list("/finance/agreements", conditions=conditions.eq("company/id",
                                                                          company["id"]),
                         fields="id,type/name,agreementStatus,cancelledFlag")
    near = _first(cw, "/company/companies", conditions.and_(
        conditions.like("identifier", identifier[:2] + "*"),
        conditions.eq("deletedFlag", False), conditions.ne("id", company["id"])),
        "id,identifier")
    deleted = _first(cw, "/company/companies", conditions.eq("deletedFlag", True),
                     "id,identifier")
    inactive = _first(cw, "/finance/agreements", conditions.or_(
        conditions.eq("cancelledFlag", True), conditions.ne("agreementStatus", "Active")),
        "id,company/identifier")
    agreement_type = _text(agreements[0], "type", "name") if agreements else None
    if agreement_type is None:
        raise RuntimeError(f"company {identifier} has no agreement to read")
    of_type = cw.list("/finance/agreements", conditions=conditions.and_(
        conditions.eq("type/name", agreement_type), conditions.eq("agreementStatus", "Active"),
        conditions.eq("cancelledFlag", False)), fields="id")
    # An agreement with additions, preferably one with a cancelled addition: the company's
    # own first, then a few others of the site (one request each).
    others = cw.get("/finance/agreements", {"fields": "id", "pageSize": 25, "page": 1})
    with_additions, additions = None, []
    for agreement_id in dict.fromkeys([a["id"] for a in agreements] + [a["id"] for a in others]):
        found = cw.list(f"/finance/agreements/{agreement_id}/additions",
                        fields="id,product/identifier,quantity,billCustomer,cancelledDate")
        if found and with_additions is None:
            with_additions, additions = agreement_id, found
        if any(x.get("cancelledDate") for x in found):
            with_additions, additions = agreement_id, found
            break
    cancelled = next((x for x in additions if x.get("cancelledDate")), None)
    board = _board(cw, env.get("RECONCILER_CONTRACT_BOARD", "").strip())
    statuses = cw.list(f"/service/boards/{board['id']}/statuses",
                       fields="id,name,closedStatus")
    types = cw.list(f"/service/boards/{board['id']}/types", fields="id,name")
    tickets = cw.get("/service/tickets", {"fields": "id", "pageSize": 25, "page": 1})
    noted = bare = None
    note_text = None
    for ticket in tickets:
        notes = cw.get(f"/service/tickets/{ticket['id']}/notes",
                       {"fields": "id,text", "pageSize": 1, "page": 1})
        if notes and noted is None and (notes[0].get("text") or "").strip():
            noted, note_text = ticket["id"], notes[0]["text"].strip()[:40]
        elif not notes and bare is None:
            bare = ticket["id"]
    inactive_item = _first(cw, "/procurement/catalog", conditions.eq("inactiveFlag", True),
                           "id,identifier")
    writable_company = writable_agreement = None
    item = env.get("RECONCILER_CONTRACT_CATALOG_ITEM", "").strip() or (
        _text(additions[0], "product", "identifier") if additions else None)
    if writes_enabled(env):
        writable_company = required(env, "RECONCILER_CONTRACT_WRITE_COMPANY",
                                    "with RECONCILER_CONTRACT_WRITES=1 (writes go only there)")
        required(env, "RECONCILER_CONTRACT_CATALOG_ITEM", "with RECONCILER_CONTRACT_WRITES=1")
        required(env, "RECONCILER_CONTRACT_BOARD", "with RECONCILER_CONTRACT_WRITES=1")
        target = _first(cw, "/finance/agreements", conditions.and_(
            conditions.eq("company/identifier", writable_company),
            conditions.eq("agreementStatus", "Active"), conditions.eq("cancelledFlag", False)),
            "id")
        if target is None:
            raise RuntimeError(f"the test company {writable_company} has no active agreement")
        writable_agreement = target["id"]
    return World(
        company=company["identifier"], company_name=company["name"], company_id=company["id"],
        agreement_ids=frozenset(a["id"] for a in agreements),
        near_identifier=near["identifier"] if near else None,
        deleted_company=deleted["identifier"] if deleted else None,
        missing_company="RCNOSUCHCOMPANY0",
        inactive_agreement=inactive["id"] if inactive else None,
        inactive_company=_text(inactive, "company", "identifier") if inactive else None,
        agreement_type=agreement_type, active_of_type=frozenset(a["id"] for a in of_type),
        agreement_with_additions=with_additions,
        additions={x["id"]: (_text(x, "product", "identifier"), x.get("quantity"),
                             x.get("billCustomer")) for x in additions},
        cancelled_addition=cancelled["id"] if cancelled else None,
        cancelled_on=date.fromisoformat(cancelled["cancelledDate"][:10]) if cancelled else None,
        board=board["name"],
        board_statuses=frozenset(s["name"] for s in statuses),
        closed_statuses=frozenset(s["name"] for s in statuses if s.get("closedStatus")),
        board_types=frozenset(t["name"] for t in types),
        priorities=frozenset(p["name"] for p in cw.list("/service/priorities",
                                                        fields="id,name")),
        ticket_with_notes=noted, note_text=note_text, ticket_without_notes=bare,
        writable_agreement=writable_agreement, writable_company=writable_company,
        catalog_item=item,
        inactive_catalog_item=inactive_item["identifier"] if inactive_item else None,
        catalog_item_price=_price(cw, item),
        api_version=cw.api_version,
        run=datetime.now(UTC).strftime("R%Y%m%dT%H%M%S-"),
    )


def _price(cw: ConnectWiseClient, item: str | None) -> float | None:
    found = _first(cw, "/procurement/catalog", conditions.eq("identifier", item),
                   "id,price") if item else None
    return found.get("price") if found else None


def _board(cw: ConnectWiseClient, name: str) -> dict:
    if name:
        board = _first(cw, "/service/boards", conditions.eq("name", name), "id,name")
        if board is None:
            raise RuntimeError(f"RECONCILER_CONTRACT_BOARD {name!r} is not a board there")
        return board
    board = _first(cw, "/service/boards", None, "id,name")
    if board is None:
        raise RuntimeError("the site has no service board")
    return board
