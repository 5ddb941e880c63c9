"""Quantity as desired state: plan reads the latest billing of each company in bulk,
compares its digest with the live additions, reads a note only on a mismatch, and plans
drift, creates and moves with the billed units."""

from __future__ import annotations

from datetime import date

from reconciler.config.model import AgreementRef
from reconciler.domain import records
from reconciler.plan.diff import build_plan, diff_customer
from reconciler.plan.snapshot import read
from tests.fakes.gateway import FakeGateway
from tests.plan.plan_factories import customer, settings

TODAY = date(2026, 12, 3)
S = settings()
MS = AgreementRef("Managed Service", "ACME Endpoint Protection")


def world(wfbss: float | None = 42, apex: float | None = None) -> FakeGateway:
    fake = FakeGateway()
    acme = fake.add_company(9, "ACME", "Acme Corp")
    tmrm = fake.add_agreement(10, acme, "TMRM Management Solution", "ACME TMRM")
    fake.add_agreement(11, acme, "Managed Service", "ACME Endpoint Protection")
    if wfbss is not None:
        fake.add_addition(100, tmrm, "TM-WFBSS", quantity=wfbss)
    if apex is not None:
        fake.add_addition(101, tmrm, "TM-APEXONE", quantity=apex)
    return fake


def bill(fake: FakeGateway, id: int, key: str, units: dict, *, tag: bool = True,
         note: bool = True) -> None:
    """A billing ticket as the sends write it (contract 1)."""
    record = records.billing_record(key, units)
    summary = (records.tagged_summary("Trend Micro billing: Acme", record) if tag
               else "Trend Micro billing: Acme")
    text = f"table\n{records.record_line(record)}\n" if note else "table (before records)\n"
    fake.add_ticket(id, key, "ACME", summary, text=text)


def plan(fake: FakeGateway, acme=None):
    acme = acme or customer(products=("wfbss",))
    snap = read(fake, S, [acme], today=TODAY, with_billing=True)
    return snap, diff_customer(acme, S, snap, TODAY)


def calls(fake: FakeGateway, before: int) -> int:
    return fake.request_count - before


def test_additions_that_hold_the_billed_units_read_no_note_and_plan_nothing():
    fake = world(wfbss=42)
    bill(fake, 5001, "tmrm:billing:ACME:2026-10", {"wfbss": 40})
    bill(fake, 5003, "tmrm:billing:ACME:2026-11", {"wfbss": 42})
    snap, result = plan(fake)
    assert result.changes == [] and result.warnings == []
    assert snap.quantities["acme"].billing.ticket.id == 5003  # the latest month
    # companies, agreements, additions of the two agreements, billing tickets: no note
    assert snap.requests == 5


def test_a_hand_edit_is_drift_with_the_ticket_it_comes_from():
    fake = world(wfbss=7)
    bill(fake, 5003, "tmrm:billing:ACME:2026-11", {"wfbss": 42})
    snap, result = plan(fake)
    [update] = result.changes
    assert (update.kind, update.addition_id, update.before, update.after) == (
        "update", 100, {"quantity": 7}, {"quantity": 42})
    assert update.quantity_source == "billed on ticket #5003 (tmrm:billing:ACME:2026-11)"
    assert snap.requests == 6  # one note read, for the one mismatch


def test_a_stale_write_of_an_older_month_is_drift_towards_the_latest():
    fake = world(wfbss=40)  # October's units written after November was billed
    bill(fake, 5001, "tmrm:billing:ACME:2026-10", {"wfbss": 40})
    bill(fake, 5003, "tmrm:billing:ACME:2026-11", {"wfbss": 42})
    _, result = plan(fake)
    [update] = result.changes
    assert update.after == {"quantity": 42} and "#5003" in update.quantity_source


def test_a_moved_product_is_created_with_its_billed_units_never_zero():
    fake = world(wfbss=None, apex=38)
    bill(fake, 5003, "tmrm:billing:ACME:2026-11", {"apex-one": 38})
    _, result = plan(fake, customer(products=("apex-one",), agreements={"apex-one": MS}))
    create = next(c for c in result.changes if c.kind == "create")
    assert create.agreement.id == 11
    assert create.after == {"product": "TM-APEXONE", "billCustomer": "Billable", "quantity": 38}
    assert create.quantity_source == "billed on ticket #5003 (tmrm:billing:ACME:2026-11)"
    cancel = next(c for c in result.changes if c.kind == "cancel")
    assert cancel.addition_id == 101


def test_a_product_never_billed_starts_at_zero_and_a_billed_one_is_not_touched():
    fake = world(wfbss=42)
    bill(fake, 5003, "tmrm:billing:ACME:2026-11", {"wfbss": 42})
    _, result = plan(fake, customer(products=("wfbss", "apex-one")))
    [create] = result.changes
    assert (create.product, create.after["quantity"]) == ("apex-one", 0)


def test_before_any_billing_a_new_addition_starts_at_zero_and_an_old_one_is_not_judged():
    fake = world(wfbss=13)  # set before the tool billed: it stays until the first billing
    snap, result = plan(fake, customer(products=("wfbss", "apex-one")))
    [create] = result.changes
    assert (create.product, create.after["quantity"]) == ("apex-one", 0)
    assert create.quantity_source == "never billed"
    assert snap.requests == 5  # nothing to read a note of


def test_a_product_the_latest_billing_did_not_bill_is_not_judged():
    fake = world(wfbss=42, apex=9)
    bill(fake, 5003, "tmrm:billing:ACME:2026-11", {"wfbss": 42})
    _, result = plan(fake, customer(products=("wfbss", "apex-one")))
    assert result.changes == []


def test_send_now_and_scheduled_billings_of_one_month_the_later_wins():
    fake = world(wfbss=42)
    # Send now on 2026-12-02 (UTC settings) billed November: 41; then the scheduled
    # November billing billed 42 (a higher ticket id: sent later)
    bill(fake, 5004, "tmrm:billing-now:ACME:2026-12-02T10:00Z", {"wfbss": 41})
    bill(fake, 5005, "tmrm:billing:ACME:2026-11", {"wfbss": 42})
    snap, result = plan(fake)
    assert snap.quantities["acme"].billing.ticket.id == 5005 and result.changes == []
    # a send-now of a later month wins over a scheduled one of an earlier month
    bill(fake, 5006, "tmrm:billing-now:ACME:2027-01-02T10:00Z", {"wfbss": 50})
    _, result = plan(fake)
    assert result.changes[0].after == {"quantity": 50}


def test_duplicates_of_the_latest_key_the_lowest_id_is_the_send():
    fake = world(wfbss=42)
    bill(fake, 5003, "tmrm:billing:ACME:2026-11", {"wfbss": 42})
    bill(fake, 5009, "tmrm:billing:ACME:2026-11", {"wfbss": 99})
    snap, result = plan(fake)
    assert snap.quantities["acme"].billing.ticket.id == 5003 and result.changes == []


def test_a_ticket_from_before_records_is_unknown_never_guessed():
    fake = world(wfbss=17, apex=38)
    bill(fake, 5003, "tmrm:billing:ACME:2026-11", {"wfbss": 42, "apex-one": 38}, tag=False,
         note=False)
    acme = customer(products=("wfbss", "apex-one", "hes"), agreements={"apex-one": MS})
    _, result = plan(fake, acme)
    assert not [c for c in result.changes if c.kind == "update"]  # 17 is not judged
    [warning] = result.warnings
    assert warning.code == "quantities_unknown" and "#5003" in warning.message
    creates = {c.product: c for c in result.changes if c.kind == "create"}
    # the moved product keeps the quantity ConnectWise holds for it; a new one starts at 0
    assert creates["apex-one"].after["quantity"] == 38
    assert creates["apex-one"].quantity_source == "as addition 101 it replaces"
    assert creates["hes"].after["quantity"] == 0


def test_an_untagged_ticket_whose_note_has_the_record_is_read_once():
    fake = world(wfbss=42)
    bill(fake, 5003, "tmrm:billing:ACME:2026-11", {"wfbss": 42}, tag=False)
    snap, result = plan(fake)
    assert result.changes == [] and result.warnings == [] and snap.requests == 6


def test_a_malformed_billing_ticket_fails_only_its_company():
    fake = world(wfbss=42)
    zed = fake.add_company(20, "ZED", "Zed Corp")
    fake.add_addition(200, fake.add_agreement(12, zed, "TMRM Management Solution", "Z"),
                      "TM-WFBSS", quantity=0)
    fake.answer_malformed("tickets_of_companies", "ticket 77", owner="ACME")
    zed_customer = customer("zed", "ZED", name="Zed Corp")
    snap = read(fake, S, [customer(), zed_customer], today=TODAY, with_billing=True)
    result = diff_customer(customer(), S, snap, TODAY)
    assert result.changes == [] and "malformed ticket 77" in result.errors[0].message
    assert diff_customer(zed_customer, S, snap, TODAY).errors == []


def test_a_billing_since_the_plan_makes_it_stale():
    fake = world(wfbss=42)
    bill(fake, 5003, "tmrm:billing:ACME:2026-11", {"wfbss": 42})
    acme = customer()
    before = read(fake, S, [acme], today=TODAY, with_billing=True).fingerprint([acme])
    bill(fake, 5010, "tmrm:billing:ACME:2026-12", {"wfbss": 42})
    assert read(fake, S, [acme], today=TODAY, with_billing=True).fingerprint([acme]) != before


def test_plan_text_names_the_ticket_a_quantity_comes_from():
    from reconciler.plan.render import render

    fake = world(wfbss=7)
    bill(fake, 5003, "tmrm:billing:ACME:2026-11", {"wfbss": 42})
    acme = customer()
    snap = read(fake, S, [acme], today=TODAY, with_billing=True)
    text = render(build_plan(S, [acme], [], snap, today=TODAY), "text")
    assert ("~ update wfbss (TM-WFBSS) addition 100 on TMRM Management Solution / ACME TMRM "
            "(agreement 10): quantity: 7 -> 42, billed on ticket #5003 "
            "(tmrm:billing:ACME:2026-11)") in text
