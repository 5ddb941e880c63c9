"""Every kind of sandbox response uses only ConnectWise's field names, checked against
the project's reference field lists (../shared/reference/connectwise-schemas.json, or the
packaged copy where the shared folder is absent)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared/reference/connectwise-schemas.json"
PACKAGED = json.loads(resources.files("reconciler.sandbox")
                      .joinpath("connectwise-schemas.json").read_text())
SCHEMAS = (json.loads(SHARED.read_text()) if SHARED.exists() else PACKAGED)["schemas"]
GENERIC_REF = {"id", "name", "identifier", "_info"}

# (schema, list path, item path)
KINDS = [
    ("Company", "company/companies", "company/companies/19"),
    ("Agreement", "finance/agreements", "finance/agreements/112"),
    ("AgreementType", "finance/agreements/types", "finance/agreements/types/1"),
    ("Addition", "finance/agreements/104/additions", "finance/agreements/104/additions/1006"),
    ("CatalogItem", "procurement/catalog", "procurement/catalog/1"),
    ("Ticket", "service/tickets", "service/tickets/5001"),
    ("ServiceNote", "service/tickets/5001/notes", None),
    ("Board", "service/boards", "service/boards/2"),
    ("BoardStatus", "service/boards/2/statuses", "service/boards/2/statuses/5"),
    ("BoardType", "service/boards/2/types", "service/boards/2/types/3"),
    ("Priority", "service/priorities", "service/priorities/4"),
]


def check(schema: str, record: dict) -> None:
    fields = SCHEMAS[schema]["fields"]
    unknown = set(record) - set(fields)
    assert not unknown, f"{schema} has fields ConnectWise does not: {sorted(unknown)}"
    for name, value in record.items():
        ftype = fields[name].removeprefix("[]")
        if ftype.endswith("Reference"):
            allowed = set(SCHEMAS[ftype]["fields"]) if ftype in SCHEMAS else GENERIC_REF
            for ref in value if isinstance(value, list) else [value]:
                assert set(ref) <= allowed, (schema, name, set(ref) - allowed)
                assert "id" in ref and isinstance(ref.get("_info"), dict), (schema, name)
        if name == "_info":
            assert all(isinstance(v, str) for v in value.values())


def test_packaged_copy_matches_the_shared_reference():
    if not SHARED.exists():
        pytest.skip("shared reference folder not present")
    assert json.loads(SHARED.read_text()) == PACKAGED


@pytest.mark.parametrize("schema, list_path, item_path", KINDS)
def test_lists_and_items_use_connectwise_fields(client, schema, list_path, item_path):
    records = client.get(list_path, params={"pageSize": 1000}).json()
    assert records, list_path
    for record in records:
        check(schema, record)
    if item_path:
        check(schema, client.get(item_path).json())


def test_created_and_patched_records_use_connectwise_fields(client):
    r = client.post("service/tickets", json={
        "summary": "s", "company": {"id": 19}, "agreement": {"id": 101}, "contact": {"id": 1},
        "initialDescription": "d", "externalXRef": "x", "madeUp": 1})
    check("Ticket", r.json())
    r = client.post("finance/agreements/102/additions",
                    json={"product": {"id": 1}, "billCustomer": "Billable"})
    check("Addition", r.json())
    r = client.patch(f"finance/agreements/102/additions/{r.json()['id']}",
                     json=[{"op": "replace", "path": "quantity", "value": 2}])
    check("Addition", r.json())
    r = client.post("finance/agreements", json={
        "name": "n", "type": {"id": 1}, "company": {"id": 30}, "contact": {"id": 11},
        "parentAgreement": {"id": 101}, "billingCycle": {"name": "Monthly"}})
    check("Agreement", r.json())
    r = client.post("company/companies", json={"identifier": "ZED", "name": "Zed",
                                               "parentCompany": {"identifier": "ACME"}})
    check("Company", r.json())


def test_other_bodies_use_connectwise_fields(client):
    check("Info", client.get("system/info").json())
    check("Count", client.get("company/companies/count").json())
    error = client.post("finance/agreements/102/additions", json={}).json()
    check("ErrorResponseMessage", error)
    for item in error["errors"]:
        assert set(item) <= set(SCHEMAS["ValidationError"]["fields"])
    check("ErrorResponseMessage", client.get("company/companies/1234").json())
