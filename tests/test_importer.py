"""import over the in-memory gateway: additions mapped back to agreements, files that
validate, and companies that cannot be imported named with the reason."""

from datetime import date

import yaml

from reconciler.config import load_fleet
from reconciler.importer import import_companies
from tests.fakes.gateway import FakeGateway
from tests.sends.world import example_fleet

TODAY = date(2026, 11, 25)


def world() -> FakeGateway:
    fake = FakeGateway()
    dunder = fake.add_company(29, "DUNDER", "Dunder Mifflin Paper")
    default = fake.add_agreement(120, dunder, "TMRM Management Solution", "Dunder TM")
    email = fake.add_agreement(121, dunder, "Managed Service", "Dunder Email")
    fake.add_addition(1, default, "TM-WFBSS")
    fake.add_addition(2, email, "TM-HES")
    fake.add_addition(3, email, "LAB-REMOTE")  # not a managed product
    fake.add_addition(4, default, "TM-APEXONE", cancelled_date="2026-01-31T00:00:00Z")
    twins = fake.add_company(40, "TWINS", "Twins Ltd")
    fake.add_agreement(130, twins, "TMRM Management Solution", "Twins TM")
    for i in (131, 132):
        fake.add_addition(i, fake.add_agreement(i, twins, "Managed Service", "Same"), "TM-HES")
    return fake


def test_additions_map_back_to_default_and_named_agreements(tmp_path):
    root = example_fleet(tmp_path)
    [result] = import_companies(world(), load_fleet(root), ["dunder"], today=TODAY,
                                trend_micro_id="tm-dunder")
    assert (result.path, result.error) == ("customers/dunder.yaml", None)
    doc = yaml.safe_load((root / result.path).read_text())
    assert doc["agreements"] == {"wfbss": "default",
                                 "hes": {"type": "Managed Service", "name": "Dunder Email"}}
    assert doc["settings"] == "global"  # hes + wfbss are the global billing products
    assert doc["integration"] == "enabled"
    assert "dunder" in {c.slug for c in load_fleet(root).customers}


def test_companies_that_cannot_be_imported_say_why_and_write_nothing(tmp_path):
    root = example_fleet(tmp_path)
    fake = world()
    fake.answer_malformed("companies", "company", owner="GHOST")
    results = import_companies(fake, load_fleet(root), ["TWINS", "NOPE", "GHOST"],
                               today=TODAY)
    errors = {r.company: r.error for r in results}
    assert "'Managed Service / Same', which is not unique" in errors["TWINS"]
    assert "company NOPE does not exist in ConnectWise" in errors["NOPE"]
    assert "company GHOST: ConnectWise answered" in errors["GHOST"]
    assert not any((root / "customers" / f"{s}.yaml").exists() for s in ("twins", "ghost"))


def test_all_finds_companies_without_a_file_holding_a_default_type_agreement(tmp_path):
    root = example_fleet(tmp_path)
    results = import_companies(world(), load_fleet(root), None, today=TODAY)
    assert sorted(r.company for r in results) == ["DUNDER", "TWINS"]
