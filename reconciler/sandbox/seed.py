"""Build the sandbox's initial State from seed YAML (or a dict, for tests' tiny worlds).

Seed records go through the same write rules as API requests, so a seed cannot hold a
record the API would refuse. References may be written as a plain identifier or name
(`company: ACME`, `type: Managed Service`) or as `{id: N}`. A record may say when it was
entered (`_info: {dateEntered: 2026-11-05T11:00:00Z}`, e.g. a history of sent tickets);
otherwise it was entered at `seeded_at`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Mapping
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import ReconcilerError

from .conditions import ConditionError, parse_datetime
from .records import prepare
from .resources import KINDS
from .responses import ApiError
from .store import State

LOOKUPS = (
    "company_statuses", "company_types", "contacts", "billing_cycles", "locations",
    "departments", "catalog_subcategories", "catalog_types", "catalog_categories",
)
# (seed key, collection, nested children: seed key -> collection)
ORDER = (
    ("agreement_types", "agreement_types", {}),
    ("catalog", "catalog", {}),
    ("companies", "companies", {}),
    ("agreements", "agreements", {"additions": "additions"}),
    ("boards", "boards", {"statuses": "statuses", "types": "board_types"}),
    ("priorities", "priorities", {}),
    ("tickets", "tickets", {"notes": "notes"}),
)
DEFAULT_SEEDED_AT = "2026-10-01T12:00:00Z"


class SeedError(ReconcilerError, ValueError):
    """A seed that cannot be loaded; the message names the record."""


def default_seed_text() -> str:
    return importlib_resources.files(__package__).joinpath("seed.yaml").read_text("utf-8")


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~7x faster


def load_seed(seed: Path | str | Mapping | None) -> dict:
    """The seed as plain data: the packaged seed, a YAML file, or a dict."""
    if seed is None:
        data = yaml.load(default_seed_text(), Loader=_LOADER)
    elif isinstance(seed, Mapping):
        data = dict(seed)
    else:
        try:
            data = yaml.load(Path(seed).read_text("utf-8"), Loader=_LOADER)
        except OSError as exc:
            raise SeedError(f"cannot read seed {seed}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise SeedError(f"seed {seed} is not UTF-8 text") from None
        except yaml.YAMLError as exc:
            raise SeedError(f"seed {seed} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SeedError("a seed must be a mapping of collections")
    return _plain(data)


def _plain(value: Any) -> Any:
    """YAML dates and datetimes become ConnectWise datetime strings."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00Z")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def build_state(seed: Path | str | Mapping | None, now: dt.datetime | None = None) -> State:
    """A fresh State holding the seed's records."""
    if seed is None and now is None:  # the packaged seed: built once per process
        return State.from_json(json.loads(_default_state_json()))
    return _build(seed, now)


@functools.lru_cache(maxsize=1)
def _default_state_json() -> str:
    return json.dumps(_build(None, None).to_json())


def _build(seed: Path | str | Mapping | None, now: dt.datetime | None) -> State:
    data = load_seed(seed)
    if now is None:
        try:
            now = parse_datetime(str(data.get("seeded_at", DEFAULT_SEEDED_AT)))
        except ConditionError:
            raise SeedError("seeded_at must be a datetime") from None
    state = State()
    lookups = data.get("lookups") or {}
    for name in LOOKUPS:
        for i, rec in enumerate(lookups.get(name) or [], start=1):
            rec = dict(rec)
            state.insert(name, rec, now, record_id=int(rec.pop("id", i)))
    for key, collection, children in ORDER:
        for rec in data.get(key) or []:
            _add(state, collection, rec, children, now, None)
    state.lmpi_usage = _usage(data.get("lmpi_usage") or [])
    state.lmpi_customers = _customers(data.get("lmpi_customers") or [])
    state.tmems = _tmems(data.get("tmems") or {})
    state.dirty = False
    return state


def _usage(rows: Any) -> list[dict]:
    """LMPI report rows: month "YYYY-MM", names as text, whole non-negative units."""
    if not isinstance(rows, list):
        raise SeedError("lmpi_usage must be a list")
    for i, row in enumerate(rows):
        where = f"lmpi_usage[{i}]"
        if not isinstance(row, dict):
            raise SeedError(f"{where} must be a mapping")
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(row.get("month", ""))):
            raise SeedError(f"{where}: month must look like 2026-11")
        for key in ("customer", "product_name", "service_plan", "unit"):
            if not isinstance(row.get(key), str):
                raise SeedError(f"{where}: {key} must be text")
        for key in ("provisioned", "used"):
            value = row.get(key)
            if key == "used" and value is None:
                continue  # not reported
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SeedError(f"{where}: {key} must be a whole number of units")
    return rows


def _customers(rows: Any) -> list[dict]:
    """LMPI customers: id, name and creation time as text (Customers :: Query)."""
    if not isinstance(rows, list):
        raise SeedError("lmpi_customers must be a list")
    for i, row in enumerate(rows):
        where = f"lmpi_customers[{i}]"
        if not isinstance(row, dict):
            raise SeedError(f"{where} must be a mapping")
        for key in ("customer_id", "name"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise SeedError(f"{where}: {key} must be text")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(row.get("created", ""))):
            raise SeedError(f"{where}: created must look like 2024-03-01T09:00:00Z")
    return rows


def _tmems(data: Any) -> dict:
    """The Email Security simulator: a generator seed and each mail domain's volume."""
    if not isinstance(data, dict):
        raise SeedError("tmems must be a mapping")
    seed, domains = data.get("seed", 0), data.get("domains") or {}
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise SeedError("tmems.seed must be a whole number")
    if not isinstance(domains, dict) or not all(
            isinstance(d, str) and isinstance(v, int | float) and not isinstance(v, bool)
            and 0 <= v <= 1000 for d, v in domains.items()):
        raise SeedError("tmems.domains must map mail domains to a volume from 0 to 1000")
    return {"seed": seed, "domains": {d.lower(): float(v) for d, v in domains.items()}}


def default_tmems() -> dict:
    """The packaged seed's Email Security simulator settings."""
    return _tmems(load_seed(None).get("tmems") or {})


def _add(state: State, collection: str, rec: Any, children: Mapping, now: dt.datetime,
         parent_id: int | None) -> None:
    kind = KINDS[collection]
    if not isinstance(rec, dict):
        raise SeedError(f"{kind.resource} seed records must be mappings")
    body = {k: v for k, v in rec.items() if k not in children}
    record_id = body.pop("id", None)
    now = _entered(body.pop("_info", None), kind.resource, rec) or now
    try:
        stored = prepare(kind, body, state, now=now, parent_id=parent_id, record_id=record_id)
    except ApiError as exc:
        problems = "; ".join(e["message"] for e in exc.body.get("errors", [])) or exc.body
        raise SeedError(f"seed {kind.resource} {_describe(rec)}: {problems}") from None
    for name in kind.write_only:
        stored.pop(name, None)
    new = state.insert(collection, stored, now, record_id=record_id)
    for key, child_collection in children.items():
        for child in rec.get(key) or []:
            _add(state, child_collection, child, {}, now, new["id"])


def _entered(info: Any, resource: str, rec: Mapping) -> dt.datetime | None:
    """The `_info.dateEntered` a seed record gives (None: none given)."""
    if info is None:
        return None
    if not isinstance(info, dict) or set(info) - {"dateEntered"}:
        raise SeedError(f"seed {resource} {_describe(rec)}: _info may only give dateEntered")
    try:
        return parse_datetime(str(info.get("dateEntered")))
    except ConditionError:
        raise SeedError(f"seed {resource} {_describe(rec)}: _info.dateEntered must be a "
                        "datetime like 2026-11-05T11:00:00Z") from None


def _describe(rec: Mapping) -> str:
    for key in ("identifier", "name", "summary", "product", "id"):
        if key in rec:
            return f"{key}={rec[key]!r}"
    return "(unnamed)"
