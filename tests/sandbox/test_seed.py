"""The packaged seed matches the example fleet: every enabled customer resolves cleanly
under DESIGN's agreement rule, and the seed still holds every special case."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconciler.sandbox.seed import SeedError, build_state

ROOT = Path(__file__).resolve().parents[2]
MANAGED = {"TM-WFBSS", "TM-APEXONE", "TM-HES", "TM-EMS", "TM-CAS"}


def fleet():
    settings = yaml.safe_load((ROOT / "reconciler.yaml").read_text())
    customers = {p.stem: yaml.safe_load(p.read_text())
                 for p in sorted((ROOT / "customers").glob("*.yaml"))}
    return settings, customers


def active(agreements, company):
    return [a for a in agreements if a["company"]["identifier"] == company
            and a["agreementStatus"] == "Active" and not a["cancelledFlag"]]


def resolve(settings, agreements, company, mapping):
    """DESIGN 'What is diffed': explicit name+type, or the first default type present."""
    mine = active(agreements, company)
    if mapping == "default":
        for type_name in settings["default_agreement_types"]:
            of_type = [a for a in mine if a["type"]["name"] == type_name]
            if of_type:
                return of_type
        return []
    return [a for a in mine if a["type"]["name"] == mapping["type"]
            and a["name"] == mapping["name"]]


def billed(settings, customer):
    policy = customer.get("custom") if customer["settings"] == "custom" else \
        settings["notifications"]
    return policy.get("billing", {}).get("products", [])


def test_every_enabled_customer_resolves_to_exactly_one_live_agreement():
    settings, customers = fleet()
    state = build_state(None)
    agreements = state.records("agreements")
    companies = {c["identifier"]: c for c in state.records("companies")}
    checked = 0
    for slug, customer in customers.items():
        if customer["integration"] != "enabled":
            continue
        ident = customer["connectwise"]["company"]
        assert ident in companies and not companies[ident]["deletedFlag"], slug
        for product in billed(settings, customer):
            mapping = customer.get("agreements", {}).get(product, "default")
            found = resolve(settings, agreements, ident, mapping)
            assert len(found) == 1, (slug, product, [a["name"] for a in found])
            checked += 1
    assert checked >= 14


def test_seed_holds_the_special_cases():
    settings, _ = fleet()
    state = build_state(None)
    agreements = state.records("agreements")
    companies = {c["identifier"]: c for c in state.records("companies")}
    assert companies["SOYLENT"]["deletedFlag"] is True
    assert resolve(settings, agreements, "PIEDPIPER", "default") == []
    hooli_tmrm = [a for a in active(agreements, "HOOLI")
                  if a["type"]["name"] == "TMRM Management Solution"]
    assert len(hooli_tmrm) == 2
    stark = [a["agreementStatus"] for a in agreements if a["company"]["identifier"] == "STARK"]
    assert sorted(stark) == ["Active", "Cancelled", "Expired"]
    assert "ACMECO" in companies
    products = {c["id"]: c["identifier"] for c in state.records("catalog")}
    by_agreement = {}
    for add in state.records("additions"):
        by_agreement.setdefault(add["agreementId"], []).append(add)
    names = {a["id"]: (a["company"]["identifier"], a["name"]) for a in agreements}
    flat = [(names[aid], products[x["product"]["id"]], x) for aid, xs in by_agreement.items()
            for x in xs]
    unmanaged = [f for f in flat if f[1] not in MANAGED]
    assert unmanaged, "additions the tool does not manage"
    assert any(c == "DUNDER" and p in MANAGED for (c, _), p, _x in flat)
    globex = {(p, x["billCustomer"]) for (c, _), p, x in flat if c == "GLOBEX"
              and not x.get("cancelledDate")}
    assert ("TM-WFBSS", "DoNotBill") in globex and ("TM-APEXONE", "Billable") in globex
    wayne_hes = [n for (c, n), p, _x in flat if c == "WAYNE" and p == "TM-HES"]
    assert wayne_hes == ["Wayne Managed Services"]
    assert set(products.values()) >= MANAGED


def test_lmpi_usage_covers_every_billed_product_of_every_customer():
    settings, customers = fleet()
    state = build_state(None)
    names = {key: p["name"] for key, p in settings["products"].items()}
    # the report names customers; Customers :: Query gives each id its one name
    lmpi_names = {c["customer_id"]: c["name"] for c in state.lmpi_customers}
    assert len(set(lmpi_names.values())) == len(lmpi_names)
    rows = {(r["month"], r["customer"], r["product_name"]) for r in state.lmpi_usage}
    for customer in customers.values():
        if customer["integration"] != "enabled":
            continue  # a disabled customer is never billed
        for product in billed(settings, customer):
            for month in ("2026-09", "2026-10", "2026-11", "2026-12"):
                key = (month, lmpi_names[customer["trend_micro"]["customer_id"]], names[product])
                assert key in rows, key
    assert any(r["used"] is None for r in state.lmpi_usage)


def _ticket_seed(**extra) -> dict:
    base = yaml.safe_load((ROOT / "reconciler" / "sandbox" / "seed.yaml").read_text())
    seed = {k: base[k] for k in ("seeded_at", "lookups", "companies", "boards", "priorities")}
    seed["tickets"] = [{"summary": "Trend Micro billing 2026-10", "company": "ACME",
                        "board": "Trend Micro Billing", "status": "New",
                        "priority": "Priority 4 - Low", "externalXRef": "tmrm:billing:ACME:2026-10",
                        "notes": [{"text": "billed", "detailDescriptionFlag": True}], **extra}]
    return seed


def test_a_seeded_ticket_may_say_when_it_was_entered():
    state = build_state(_ticket_seed(_info={"dateEntered": "2026-10-05T11:00:00Z"}))
    (ticket,) = state.records("tickets")
    (note,) = state.records("notes")
    assert ticket["_info"]["dateEntered"] == "2026-10-05T11:00:00Z"
    assert note["_info"]["dateEntered"] == "2026-10-05T11:00:00Z"  # entered with it
    (plain,) = build_state(_ticket_seed()).records("tickets")
    assert plain["_info"]["dateEntered"] == "2026-10-01T12:00:00Z"  # seeded_at


@pytest.mark.parametrize("info", [{"dateEntered": "last Tuesday"}, {"lastUpdated": "x"}, "x"])
def test_a_seeded_entry_time_must_be_a_datetime_and_nothing_else(info):
    with pytest.raises(SeedError, match=r"summary=.*_info"):
        build_state(_ticket_seed(_info=info))
