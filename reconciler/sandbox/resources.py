"""Per-resource rules of the sandbox: for each ConnectWise resource, its fields, its
references (and how they resolve and link), parent, uniqueness, defaults and extra checks.
records.py applies these rules to write bodies and renders records.

Field names, types, required lists and enums come from a copy of the project's
`connectwise-schemas.json` ([openapi]; enums from [pyconnectwise]'s models), so the
sandbox cannot answer with a field ConnectWise does not have. Writes silently drop
unknown fields (unverified; records.py). Defaults filled on create, derived flags and
uniqueness rules below are each marked with their source or "unverified".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources as importlib_resources
from typing import Any

from .conditions import ConditionError, parse_datetime
from .responses import field_error

SCHEMAS: dict[str, dict] = json.loads(
    importlib_resources.files(__package__).joinpath("connectwise-schemas.json").read_text("utf-8")
)["schemas"]

API_MEMBER = "SandboxAPI"  # who `_info.updatedBy` names for writes through the API


def iso(moment: datetime) -> str:
    """ConnectWise's datetime format: UTC, seconds, trailing Z (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Ref:
    """A reference field: which collection it points into and how it is shown."""

    target: str  # collection holding the referenced records
    copy: tuple[str, ...] = ("name",)  # fields copied into the reference besides id
    by: tuple[str, ...] = ("name",)  # fields a writer may resolve by instead of id
    href: str | None = None  # API path template for `_info`, e.g. "company/companies/{id}"
    href_key: str = ""
    many: bool = False
    scoped_to_board: bool = False  # statuses and types belong to the record's board


@dataclass(frozen=True)
class Kind:
    """One ConnectWise resource as the sandbox serves it."""

    resource: str  # name in error bodies ("addition object is invalid")
    label: str  # name in 404 messages
    schema: str  # key in connectwise-schemas.json
    collection: str
    refs: Mapping[str, Ref] = field(default_factory=dict)
    parent: str | None = None  # parent collection for /{parentId}/ paths
    parent_field: str | None = None  # where the parent id is kept
    required_extra: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ()
    write_only: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()  # case-insensitive, within the parent where there is one
    in_use: tuple[tuple[str, str], ...] = ()  # (collection, reference field) blocking DELETE
    cascade: tuple[tuple[str, str], ...] = ()  # (collection, parent field) deleted along
    defaults: Callable[[dict, Any, datetime], None] | None = None
    fill: Callable[[str, dict, Any], None] | None = None  # default for a missing reference
    check: Callable[[dict, Any], list[dict]] | None = None
    compute: Callable[[dict, datetime], None] | None = None

    @property
    def fields(self) -> dict[str, str]:
        return SCHEMAS[self.schema]["fields"]

    @property
    def enums(self) -> dict[str, list]:
        return SCHEMAS[self.schema].get("enums(pyconnectwise)", {})


REF_FIELDS: dict[str, tuple[str, ...]] = {
    name: tuple(spec["fields"]) for name, spec in SCHEMAS.items() if name.endswith("Reference")
}
GENERIC_REF_FIELDS = ("id", "name", "identifier", "_info")


def known_field(kind: Kind, path: str) -> bool:
    """Whether `path` (`a` or `a/b`) names a field of this resource (for conditions etc.)."""
    head, _, rest = path.partition("/")
    ftype = kind.fields.get(head)
    if ftype is None:
        return False
    if not rest:
        return True
    if head in ("_info", "customFields"):
        return "/" not in rest
    inner = ftype.removeprefix("[]")
    if not inner.endswith("Reference"):
        return False
    return rest in REF_FIELDS.get(inner, GENERIC_REF_FIELDS)


# ---------------------------------------------------------------- per-kind hooks


def _today(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT00:00:00Z")


def _company_defaults(rec: dict, state, now: datetime) -> None:
    # unverified defaults; the tool never creates companies
    rec.setdefault("deletedFlag", False)
    if rec.get("status") is None:
        rec["status"] = state.reference(COMPANY.refs["status"], {"name": "Active"})
    rec.setdefault("types", [])


def _agreement_defaults(rec: dict, state, now: datetime) -> None:
    # Unverified: that a cancelled agreement's agreementStatus reads Cancelled. The client
    # takes an agreement as active only when it is not cancelled AND its status is Active
    # (or absent), so either flag alone is enough (records.Agreement.active).
    rec.setdefault("startDate", _today(now))
    rec.setdefault("cancelledFlag", False)
    rec["noEndingDateFlag"] = rec.get("endDate") is None
    if rec.get("cancelledFlag"):
        rec["agreementStatus"] = "Cancelled"
        rec.setdefault("dateCancelled", iso(now))
    elif rec.get("agreementStatus") in (None, "Cancelled"):
        rec["agreementStatus"] = "Active"


def _addition_defaults(rec: dict, state, now: datetime) -> None:
    item = state.get("catalog", rec["product"]["id"])
    # Prices, cost and description default from the catalog item: unverified (what the
    # ConnectWise screen does); the tool never relies on an addition's price.
    rec.setdefault("unitPrice", item.get("price", 0.0))
    rec.setdefault("unitCost", item.get("cost", 0.0))
    rec.setdefault("description", item.get("description", ""))
    # ConnectWise's default quantity on create is unverified; 0 never bills by accident.
    # The product must not depend on it: additions are created with an explicit quantity.
    rec.setdefault("quantity", 0)
    rec.setdefault("lessIncluded", 0)  # unverified, as are the two defaults below
    rec.setdefault("effectiveDate", _today(now))
    rec.setdefault("taxableFlag", False)


def _addition_compute(rec: dict, now: datetime) -> None:
    # extPrice, extCost, margin and agreementStatus are read-only on Addition ([openapi]);
    # how ConnectWise computes them is unverified and the tool reads none of them.
    qty = (rec.get("quantity") or 0) - (rec.get("lessIncluded") or 0)
    rec["extPrice"] = round(qty * (rec.get("unitPrice") or 0), 2)
    rec["extCost"] = round(qty * (rec.get("unitCost") or 0), 2)
    rec["margin"] = round(rec["extPrice"] - rec["extCost"], 2)
    cancelled = rec.get("cancelledDate")
    status = "Active"
    if cancelled:
        try:
            if parse_datetime(cancelled) <= now:
                status = "Cancelled"
        except ConditionError:
            status = "Cancelled"
    rec["agreementStatus"] = status


def _catalog_defaults(rec: dict, state, now: datetime) -> None:
    rec.setdefault("inactiveFlag", False)
    rec.setdefault("price", 0.0)
    rec.setdefault("cost", 0.0)


def _ticket_defaults(rec: dict, state, now: datetime) -> None:
    # closedFlag follows the status's closedStatus: unverified. A duplicate is closed by
    # moving it to a closed status, and the gateway also takes that status in the answer
    # as closed when closedFlag lags (tests/connectwise/test_gateway_http.py).
    rec.setdefault("recordType", "ServiceTicket")
    status = state.get("statuses", rec["status"]["id"]) if rec.get("status") else None
    rec["closedFlag"] = bool(status and status.get("closedStatus"))


def _ticket_check(rec: dict, state) -> list[dict]:
    # summary: at most 100 characters ([openapi] maxLength; the guide's ticket docs)
    summary = rec.get("summary")
    if isinstance(summary, str) and len(summary) > 100:
        return [field_error("InvalidField", "summary must be 100 characters or less",
                            "ticket", "summary")]
    return []


def _ticket_fill(name: str, rec: dict, state) -> None:
    """Defaults for a ticket's board, priority and status when left out: unverified (the
    product always names all three, from the `tickets` settings)."""
    if name == "board":
        boards = state.records("boards")
        if boards:
            rec["board"] = {"id": boards[0]["id"]}
    elif name == "priority":
        default = [p for p in state.records("priorities") if p.get("defaultFlag")]
        if default:
            rec["priority"] = {"id": default[0]["id"]}
    elif name == "status" and isinstance(rec.get("board"), dict) and "id" in rec["board"]:
        statuses = [s for s in state.records("statuses") if s["board"]["id"] == rec["board"]["id"]]
        statuses.sort(key=lambda s: (not s.get("defaultFlag"), s.get("sortOrder") or 0, s["id"]))
        if statuses:
            rec["status"] = {"id": statuses[0]["id"]}


def _note_check(rec: dict, state) -> list[dict]:
    # unverified: a note without text is refused (the product writes no notes itself)
    if not rec.get("text"):
        return [field_error("NullValue", "text is required", "serviceNote", "text")]
    return []


def _false(*names: str) -> Callable[[dict, Any, datetime], None]:
    """Defaults that set these flags to false when a write leaves them out."""
    def defaults(rec: dict, state, now: datetime) -> None:
        for name in names:
            rec.setdefault(name, False)
    return defaults


def _note_defaults(rec: dict, state, now: datetime) -> None:
    rec.setdefault("detailDescriptionFlag", False)
    rec.setdefault("internalAnalysisFlag", False)
    rec.setdefault("resolutionFlag", False)
    rec.setdefault("dateCreated", iso(now))
    rec.setdefault("createdBy", API_MEMBER)


# ---------------------------------------------------------------- the kinds
#
# Per kind: `unique` (a company's identifier: [guide]'s ObjectExists error; the other names
# unverified), `in_use` (409 on delete: [guide]), `read_only` (the fields [openapi] marks
# read-only, plus a ticket's closedFlag: unverified, the product never writes it) and
# `cascade` (unverified; the product deletes nothing).


COMPANY_REF = Ref("companies", ("identifier", "name"), ("identifier",),
                  "company/companies/{id}", "company_href")
AGREEMENT_REF = Ref("agreements", ("name",), ("name",), "finance/agreements/{id}",
                    "agreement_href")
BOARD_REF = Ref("boards", ("name",), ("name",), "service/boards/{id}", "board_href")

COMPANY = Kind(
    "company", "Company", "Company", "companies",
    refs={
        "status": Ref("company_statuses", href="company/companies/statuses/{id}",
                      href_key="status_href"),
        "types": Ref("company_types", href="company/companies/types/{id}",
                     href_key="type_href", many=True),
        "parentCompany": COMPANY_REF,
    },
    unique=("identifier",),
    in_use=(("agreements", "company"), ("tickets", "company")),
    defaults=_company_defaults,
)

AGREEMENT_TYPE = Kind(
    "agreementType", "Agreement type", "AgreementType", "agreement_types",
    unique=("name",), in_use=(("agreements", "type"),),
    defaults=_false("inactiveFlag"),
)

AGREEMENT = Kind(
    "agreement", "Agreement", "Agreement", "agreements",
    refs={
        "type": Ref("agreement_types", href="finance/agreements/types/{id}",
                    href_key="type_href"),
        "company": COMPANY_REF,
        "contact": Ref("contacts", href="company/contacts/{id}", href_key="contact_href"),
        "billingCycle": Ref("billing_cycles", href="finance/billingCycles/{id}",
                            href_key="billingCycle_href"),
        "parentAgreement": AGREEMENT_REF,
    },
    cascade=(("additions", "agreementId"),),
    in_use=(("tickets", "agreement"),),
    defaults=_agreement_defaults,
)

ADDITION = Kind(
    "addition", "Addition", "Addition", "additions",
    refs={"product": Ref("catalog", ("identifier",), ("identifier",),
                         "procurement/catalog/{id}", "product_href")},
    parent="agreements", parent_field="agreementId",
    read_only=("agreementId", "agreementStatus", "extPrice", "extCost", "margin"),
    defaults=_addition_defaults, compute=_addition_compute,
)

CATALOG = Kind(
    "catalogItem", "Catalog item", "CatalogItem", "catalog",
    refs={
        "subcategory": Ref("catalog_subcategories", href="procurement/subcategories/{id}",
                           href_key="subcategory_href"),
        "type": Ref("catalog_types", href="procurement/types/{id}", href_key="type_href"),
        "category": Ref("catalog_categories", href="procurement/categories/{id}",
                        href_key="category_href"),
    },
    unique=("identifier",), in_use=(("additions", "product"),),
    defaults=_catalog_defaults,
)

TICKET = Kind(
    "ticket", "Ticket", "Ticket", "tickets",
    refs={
        "company": COMPANY_REF,
        "board": BOARD_REF,
        "status": Ref("statuses", href="service/boards/{board}/statuses/{id}",
                      href_key="status_href", scoped_to_board=True),
        "type": Ref("board_types", href="service/boards/{board}/types/{id}",
                    href_key="type_href", scoped_to_board=True),
        "priority": Ref("priorities", href="service/priorities/{id}", href_key="priority_href"),
        "agreement": AGREEMENT_REF,
        "contact": Ref("contacts", href="company/contacts/{id}", href_key="contact_href"),
    },
    read_only=("closedFlag",),
    write_only=("initialDescription", "initialInternalAnalysis", "initialResolution"),
    cascade=(("notes", "ticketId"),),
    defaults=_ticket_defaults, fill=_ticket_fill, check=_ticket_check,
)

NOTE = Kind(
    "serviceNote", "Note", "ServiceNote", "notes",
    parent="tickets", parent_field="ticketId",
    read_only=("ticketId", "dateCreated", "createdBy"),
    defaults=_note_defaults, check=_note_check,
)

BOARD = Kind(
    "board", "Board", "Board", "boards",
    refs={
        "location": Ref("locations", href="system/locations/{id}", href_key="location_href"),
        "department": Ref("departments", href="system/departments/{id}",
                          href_key="department_href"),
    },
    unique=("name",), in_use=(("tickets", "board"),),
    cascade=(("statuses", "board"), ("board_types", "board")),
    defaults=_false("inactiveFlag"),
)

BOARD_STATUS = Kind(
    "boardStatus", "Status", "BoardStatus", "statuses",
    refs={"board": BOARD_REF}, parent="boards", parent_field="board",
    unique=("name",), in_use=(("tickets", "status"),),
    defaults=_false("closedStatus", "defaultFlag", "inactive"),
)

BOARD_TYPE = Kind(
    "boardType", "Type", "BoardType", "board_types",
    refs={"board": BOARD_REF}, parent="boards", parent_field="board",
    unique=("name",), in_use=(("tickets", "type"),),
    defaults=_false("defaultFlag", "inactiveFlag"),
)

PRIORITY = Kind(
    "priority", "Priority", "Priority", "priorities",
    unique=("name",), in_use=(("tickets", "priority"),),
    defaults=_false("defaultFlag"),
)

KINDS: dict[str, Kind] = {
    k.collection: k
    for k in (COMPANY, AGREEMENT_TYPE, AGREEMENT, ADDITION, CATALOG, TICKET, NOTE, BOARD,
              BOARD_STATUS, BOARD_TYPE, PRIORITY)
}
