"""The live snapshot over the in-memory gateway: what is read, for whom, and how a
malformed record makes only its own company unreadable (never absent)."""

from datetime import date

from reconciler.plan.diff import diff_customer
from reconciler.plan.snapshot import read
from tests.fakes.gateway import FakeGateway
from tests.plan.plan_factories import customer, settings

TODAY = date(2026, 11, 25)
S = settings()


def world() -> FakeGateway:
    fake = FakeGateway()
    acme = fake.add_company(9, "ACME", "Acme Corp")
    zed = fake.add_company(20, "ZED", "Zed Corp")
    fake.add_company(21, "ACMECO", "Acme Co-op")
    dunder = fake.add_company(30, "DUNDER", "Dunder Mifflin")
    tmrm = fake.add_agreement(10, acme, "TMRM Management Solution", "ACME TMRM")
    old = fake.add_agreement(11, acme, "Managed Service", "Old", status="Expired")
    fake.add_agreement(12, zed, "Managed Service", "Z")
    outside = fake.add_agreement(13, dunder, "TMRM Management Solution", "D")
    fake.add_addition(100, tmrm, "TM-WFBSS")
    fake.add_addition(101, old, "TM-HES")
    fake.add_addition(102, outside, "TM-WFBSS")
    return fake


def test_reads_companies_agreements_and_additions_of_active_agreements_only():
    fake = world()
    snap = read(fake, S, [customer(), customer("zed", "zed")], today=TODAY)
    assert set(snap.companies) == {"acme", "zed"}
    assert [a.id for a in snap.agreements[9]] == [10, 11]
    assert set(snap.additions) == {10, 12}  # the expired agreement is not in play
    assert [x.id for x in snap.additions[10]] == [100]
    assert snap.requests == fake.request_count


def test_a_missing_company_gets_close_identifiers():
    snap = read(world(), S, [customer("acmee", "ACMEE")], today=TODAY)
    assert snap.company("ACMEE") is None
    assert snap.suggestions["acmee"] == ("ACME", "ACMECO")


def test_the_unmanaged_scan_reports_companies_without_a_file():
    snap = read(world(), S, [customer()], scan_unmanaged=True, fleet_companies=["ZED"],
                today=TODAY)
    assert [(u.identifier, u.catalog_items) for u in snap.unmanaged] == [
        ("DUNDER", ("TM-WFBSS",))]


def test_a_malformed_addition_makes_only_its_company_unreadable():
    fake = world()
    fake.answer_malformed("additions", "addition 100", owner=10)
    snap = read(fake, S, [customer(), customer("zed", "ZED")], today=TODAY)
    assert snap.problem("acme") and not snap.problem("ZED")
    result = diff_customer(customer(), S, snap, TODAY)
    assert result.changes == []  # never "no addition there, create one"
    assert result.errors[0].message.startswith("acme: company ACME: ConnectWise answered")
    assert result.errors[0].message.endswith("; nothing is planned for it")
    assert diff_customer(customer("zed", "ZED", name="Zed Corp"), S, snap, TODAY).errors == []


def test_a_malformed_agreement_of_unreadable_company_concerns_every_company_read():
    fake = world()
    fake.answer_malformed("agreements_of_companies", "agreement 77", owner=None)
    snap = read(fake, S, [customer(), customer("zed", "ZED")], today=TODAY)
    assert snap.problem("ACME") and snap.problem("ZED")


def test_a_malformed_company_is_its_identifiers_problem_and_never_does_not_exist():
    fake = world()
    fake.answer_malformed("companies", "company", owner="ghost")
    fake.answer_malformed("companies", "company 5", owner=None)  # identifier unreadable
    snap = read(fake, S, [customer(), customer("ghost", "GHOST")], today=TODAY)
    assert snap.problem("GHOST") and "ghost" not in snap.suggestions
    assert not snap.problem("ACME")  # found well-formed: the unreadable one is not ACME
    assert "does not exist" not in diff_customer(customer("ghost", "GHOST"), S, snap,
                                                 TODAY).errors[0].message
