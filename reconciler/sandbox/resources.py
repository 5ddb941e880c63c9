"""Per-resource rules of the sandbox: which ConnectWise fields a record has, how writes are
checked (required fields, types, enums, references) and how records are rendered.

Field names, types, required lists and enums come from a copy of the project's
`connectwise-schemas.json` (derived from ConnectWise's OpenAPI document), so the sandbox
cannot answer with a field ConnectWise does not have: writes silently drop unknown fields,
as ConnectWise's JSON deserializer does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources as importlib_resources
from typing import Any

from .conditions import ConditionError, parse_datetime
from .responses import field_error, invalid

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
    rec.setdefault("deletedFlag", False)
    if rec.get("status") is None:
        rec["status"] = state.reference(COMPANY.refs["status"], {"name": "Active"})
    rec.setdefault("types", [])


def _agreement_defaults(rec: dict, state, now: datetime) -> None:
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
    # Prices, cost and description default from the catalog item, as in ConnectWise.
    rec.setdefault("unitPrice", item.get("price", 0.0))
    rec.setdefault("unitCost", item.get("cost", 0.0))
    rec.setdefault("description", item.get("description", ""))
    # ConnectWise's default quantity on create is unconfirmed; 0 never bills by accident.
    rec.setdefault("quantity", 0)
    rec.setdefault("lessIncluded", 0)
    rec.setdefault("effectiveDate", _today(now))
    rec.setdefault("taxableFlag", False)


def _addition_compute(rec: dict, now: datetime) -> None:
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
    rec.setdefault("recordType", "ServiceTicket")
    status = state.get("statuses", rec["status"]["id"]) if rec.get("status") else None
    rec["closedFlag"] = bool(status and status.get("closedStatus"))


def _ticket_check(rec: dict, state) -> list[dict]:
    summary = rec.get("summary")
    if isinstance(summary, str) and len(summary) > 100:
        return [field_error("InvalidField", "summary must be 100 characters or less",
                            "ticket", "summary")]
    return []


def _ticket_board_defaults(rec: dict, state) -> None:
    """Fill board, status and priority like ConnectWise's defaults before resolving."""
    if rec.get("board") is None:
        boards = state.records("boards")
        if boards:
            rec["board"] = {"id": boards[0]["id"]}
    if rec.get("priority") is None:
        default = [p for p in state.records("priorities") if p.get("defaultFlag")]
        if default:
            rec["priority"] = {"id": default[0]["id"]}


def _ticket_status_default(rec: dict, state) -> None:
    if rec.get("status") is None and rec.get("board"):
        statuses = [s for s in state.records("statuses") if s["board"]["id"] == rec["board"]["id"]]
        statuses.sort(key=lambda s: (not s.get("defaultFlag"), s.get("sortOrder") or 0, s["id"]))
        if statuses:
            rec["status"] = {"id": statuses[0]["id"], "name": statuses[0]["name"]}


def _note_check(rec: dict, state) -> list[dict]:
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
    defaults=_ticket_defaults, check=_ticket_check,
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


# ---------------------------------------------------------------- writes

ALWAYS_READ_ONLY = ("id", "_info")


def _scalar(value: Any, ftype: str) -> tuple[bool, Any]:
    """Check and normalise one scalar against its schema type; (ok, value)."""
    if value is None:
        return True, None
    base = ftype.removeprefix("nullable ").lower()
    if base in ("int32", "int64"):
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return True, int(value)
        return False, value
    if base == "float64":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, (int, float)):
            return True, value
        try:
            return True, float(value)
        except (TypeError, ValueError):
            return False, value
    if base == "bool":
        if isinstance(value, bool):
            return True, value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return True, value.lower() == "true"
        return False, value
    if base == "time.time":
        if not isinstance(value, str):
            return False, value
        try:
            return True, iso(parse_datetime(value.strip()))
        except ConditionError:
            return False, value
    if base == "string":
        if isinstance(value, str):
            return True, value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return True, str(value)
        return False, value
    if base == "[]string":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return ok, value
    return True, value


def prepare(kind: Kind, body: Any, state, *, now: datetime, parent_id: int | None = None,
            record_id: int | None = None) -> dict:
    """Check a write body and return the record to store; raise 400 with every error."""
    if not isinstance(body, dict):
        raise invalid(kind.resource, [field_error(
            "InvalidObject", f"the request body must be a {kind.resource} object",
            kind.resource, "")])
    fields = kind.fields
    errors: list[dict] = []
    rec: dict[str, Any] = {}
    for name, value in body.items():
        if name not in fields or name in ALWAYS_READ_ONLY or name in kind.read_only:
            continue  # unknown and read-only fields are ignored, as ConnectWise does
        if name in kind.refs:
            rec[name] = value
            continue
        ftype = fields[name]
        if ftype.endswith("Reference") or (ftype.startswith("[]") and ftype != "[]string"):
            continue  # a reference the sandbox does not model
        ok, norm = _scalar(value, ftype)
        if not ok:
            errors.append(field_error("InvalidField", f"{name} has an invalid value",
                                      kind.resource, name))
        else:
            rec[name] = norm
    if kind.parent_field and parent_id is not None:
        parent = state.get(kind.parent, parent_id)
        if kind.parent_field in kind.refs:
            rec[kind.parent_field] = {"id": parent_id, "name": parent.get("name")}
        else:
            rec[kind.parent_field] = parent_id
    if kind is TICKET:
        _ticket_board_defaults(rec, state)
    failed_refs: set[str] = set()
    for name in sorted(kind.refs, key=lambda n: kind.refs[n].scoped_to_board):
        if kind is TICKET and name == "status":
            _ticket_status_default(rec, state)
        value = rec.get(name)
        if value is None:
            continue
        ref = kind.refs[name]
        try:
            if ref.many:
                if not isinstance(value, list):
                    raise LookupError(f"{name} must be a list of references")
                rec[name] = [state.reference(ref, v, rec) for v in value]
            else:
                rec[name] = state.reference(ref, value, rec)
        except LookupError as exc:
            failed_refs.add(name)
            errors.append(field_error("InvalidObject", str(exc), kind.resource, name))
    required = [f for f in SCHEMAS[kind.schema]["required"] if f not in failed_refs]
    for name in (*required, *kind.required_extra):
        if rec.get(name) in (None, "") and name not in failed_refs:
            errors.append(field_error("NullValue", f"{name} is required", kind.resource, name))
    for name, allowed in kind.enums.items():
        value = rec.get(name)
        if value is not None and value not in allowed:
            errors.append(field_error(
                "InvalidField", f"{name} must be one of {', '.join(allowed)}",
                kind.resource, name))
    if kind.check:
        errors.extend(kind.check(rec, state))
    for name in kind.unique:
        value = rec.get(name)
        if isinstance(value, str) and state.duplicate(kind, name, value, rec, record_id):
            errors.append(field_error(
                "ObjectExists", f"a {kind.resource} with this {name} already exists",
                kind.resource, name))
    if errors:
        raise invalid(kind.resource, _dedupe(errors))
    if kind.defaults:
        kind.defaults(rec, state, now)
    return rec


def _dedupe(errors: list[dict]) -> list[dict]:
    seen, out = set(), []
    for e in errors:
        key = (e["code"], e["field"])
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def editable(kind: Kind, rec: Mapping) -> dict:
    """A stored record as a write body (for PATCH): what a client could have sent."""
    return {k: v for k, v in rec.items() if k not in ALWAYS_READ_ONLY}


# ---------------------------------------------------------------- reads


def render(kind: Kind, rec: Mapping, base: str, now: datetime) -> dict:
    """A stored record as ConnectWise returns it: references and `_info` with hrefs."""
    out = {k: v for k, v in rec.items() if k not in kind.write_only}
    board_id = (rec.get("board") or {}).get("id") if isinstance(rec.get("board"), dict) else None
    for name, ref in kind.refs.items():
        value = out.get(name)
        if not value or ref.href is None:
            continue
        if ref.many:
            out[name] = [_ref_info(ref, v, base, board_id) for v in value]
        else:
            out[name] = _ref_info(ref, value, base, board_id)
    if kind.compute:
        kind.compute(out, now)
    return out


def _ref_info(ref: Ref, value: Mapping, base: str, board_id: int | None) -> dict:
    href = base + ref.href.format(id=value.get("id"), board=board_id)
    return {**value, "_info": {ref.href_key: href}}
