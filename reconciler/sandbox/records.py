"""Records in and out: checking write bodies (required fields, types, enums, references),
applying PATCH arrays, and rendering stored records the way ConnectWise returns them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .conditions import ConditionError, parse_datetime
from .resources import SCHEMAS, Kind, Ref, iso
from .responses import bad_request, field_error, invalid

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
            # unknown and read-only fields are ignored (unverified: .NET's JSON reader drops
            # unknown members by default); the gateway sends only fields of [openapi]
            continue
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
    failed_refs: set[str] = set()
    # Board-scoped references (a ticket's status and type) resolve after the board.
    for name in sorted(kind.refs, key=lambda n: kind.refs[n].scoped_to_board):
        if kind.fill and rec.get(name) is None:
            kind.fill(name, rec, state)
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


def render(kind: Kind, rec: Mapping, base: str, now: datetime,
           only: set[str] | None = None) -> dict:
    """A stored record as ConnectWise returns it: references and `_info` with hrefs.

    `only`: the top-level fields the caller will keep (`fields=`); the hrefs of other
    references are not built, and (for kinds without computed fields) the other fields
    are not copied."""
    if only is not None and kind.compute is None:
        out = {k: rec[k] for k in only if k in rec and k not in kind.write_only}
    else:
        out = {k: v for k, v in rec.items() if k not in kind.write_only}
    board_id = (rec.get("board") or {}).get("id") if isinstance(rec.get("board"), dict) else None
    for name, ref in kind.refs.items():
        value = out.get(name)
        if not value or ref.href is None or (only is not None and name not in only):
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


PATCH_OPS = ("add", "replace", "remove")


def apply_patch(kind: Kind, current: dict, ops: Any) -> dict:
    """Apply a ConnectWise PATCH array to a write body; 400 on a bad operation.

    `[{"op": "replace", "path": "quantity", "value": 5}]` with op add, replace or remove,
    case-sensitive paths, a nested reference replaced whole: [guide] ("Patch" in the
    developer guide), [pyconnectwise] (its PatchRequestData)."""
    if not isinstance(ops, list) or not ops:
        raise bad_request("The PATCH body must be a non-empty array of operations.")
    body = dict(current)
    for i, op in enumerate(ops):
        if not isinstance(op, dict):
            raise bad_request(f"PATCH operation {i} must be an object.")
        name = op.get("op")
        if not isinstance(name, str) or name.lower() not in PATCH_OPS:
            raise bad_request(f"PATCH operation {i}: op must be one of add, replace, remove.")
        path = op.get("path")
        if not isinstance(path, str) or not path.strip("/"):
            raise bad_request(f"PATCH operation {i}: path is required.")
        parts = path.strip("/").split("/")
        # Paths are case-sensitive: `Quantity` is not `quantity`.
        if parts[0] not in kind.fields or parts[0] in ("id", "_info") or len(parts) > 2:
            raise bad_request(f"PATCH operation {i}: '{path}' is not a field of "
                              f"{kind.resource}.", [{
                                  "code": "InvalidField", "message": f"unknown path '{path}'",
                                  "resource": kind.resource, "field": path}])
        if name.lower() != "remove" and "value" not in op:
            raise bad_request(f"PATCH operation {i}: value is required for {name}.")
        value = None if name.lower() == "remove" else op["value"]
        if len(parts) == 2:  # `company/id`: the reference is replaced by the new key
            body[parts[0]] = None if value is None else {parts[1]: value}
        else:
            body[parts[0]] = value
    return body
