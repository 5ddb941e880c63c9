"""reconciler.review.impact and live: what a change set does to billed units and amounts,
product by product, from live additions and catalog prices; unknowns said, never guessed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from reconciler.config.model import AgreementRef, BillingPolicy, Policy, frozen_map
from reconciler.connectwise.records import Addition, Agreement
from reconciler.domain import records
from reconciler.domain.keys import send_key
from reconciler.review.impact import LiveBilling, billing_impact, money
from reconciler.review.live import read_live_billing
from tests.fakes.gateway import FakeGateway
from tests.review.review_factories import customer, fleet, settings

TODAY = date(2026, 11, 25)
MAIN = Agreement(1, "Main", "Managed Service", 10, "ACME", status="Active")
OTHER = Agreement(2, "Security", "Managed Service", 10, "ACME", status="Active")
PRICES = frozen_map({"tm-wfbss": 4.5, "tm-hes": 2.4, "tm-cas": 2.75})


def acme(products=("wfbss", "hes"), **overrides):
    return customer("acme", **{"policy": Policy(billing=BillingPolicy(5, products)),
                               **overrides})


def live(*additions: Addition, agreements=(MAIN,), **overrides) -> dict[str, LiveBilling]:
    return {"acme": LiveBilling(tuple(agreements), additions, **{"prices": PRICES, **overrides})}


WFBSS = Addition(7, 1, "TM-WFBSS", quantity=40, unit_price=4.0)  # a negotiated price
HES = Addition(8, 1, "TM-HES", quantity=10, unit_price=2.4)


def impact(before, after, found, **kw):
    base = fleet(*before) if before is not None else None
    return billing_impact(base, fleet(*after), ["acme"], found, TODAY, **kw)


def only_lines(result):
    (customer_impact,) = result.customers
    return {line.product: line for line in customer_impact.lines}


def test_a_removed_product_is_cancelled_and_no_longer_billed():
    lines = only_lines(impact([acme()], [acme(("wfbss",))], live(WFBSS, HES)))
    assert list(lines) == ["hes"]
    hes = lines["hes"]
    assert (hes.kind, hes.now.units, hes.now.amount, hes.after.amount) == ("removed", 10, 24, 0)
    assert hes.delta == pytest.approx(-24.0)
    assert "its additions are cancelled" in hes.note


def test_an_added_product_has_the_catalog_price_and_units_unknown_until_billed():
    result = impact([acme(("wfbss",))], [acme(("wfbss", "cas"))], live(WFBSS))
    cas = only_lines(result)["cas"]
    assert cas.kind == "added" and cas.now.amount == 0 and cas.after.units is None
    assert cas.delta is None  # said, not guessed
    assert "units unknown until a billing bills it; catalog price" in cas.note
    assert result.delta == 0 and result.unknown == 1
    assert result.headline() == ("Billing impact: 0.00 a month (1 customer, 1 product; "
                                 "1 unknown amount not counted).")


BILLED = {"billed": frozen_map({"wfbss": 40.0, "hes": 10.0}),
          "billed_from": "billed on ticket #12 (tmrm:billing:ACME:2026-10)"}


def test_a_moved_product_is_billed_on_the_new_agreement_at_the_catalog_price():
    """Moving loses the negotiated unit price: 40 units at 4.00 become 40 at 4.50."""
    moved = acme(agreements=frozen_map({"wfbss": AgreementRef("Managed Service", "Security")}))
    result = impact([acme()], [moved], live(WFBSS, HES, agreements=(MAIN, OTHER), **BILLED))
    wfbss = only_lines(result)["wfbss"]
    assert wfbss.kind == "moved"
    assert (wfbss.now.amount, wfbss.after.units, wfbss.after.amount) == (160, 40, 180)
    assert wfbss.delta == pytest.approx(20.0)
    assert "on Managed Service / Security (id 2): latest billed units, billed on ticket #12 " \
           "(tmrm:billing:ACME:2026-10); catalog price" in wfbss.note
    assert result.headline() == "Billing impact: +20.00 a month (1 customer, 1 product)."


@pytest.mark.parametrize(("found", "units", "why"), [
    ({"never_billed": True, "billed_from": "never billed"}, 0,
     "a new addition starts at 0 until a billing bills it (never billed)"),
    ({"billed": frozen_map({"hes": 10.0}), "billed_from": "billed on ticket #12"}, 0,
     "a new addition starts at 0 until a billing bills it (billed on ticket #12)"),
    ({}, None, "its latest billing's record is unknown"),
])
def test_a_move_starts_the_new_addition_where_apply_starts_it(found, units, why):
    """Quantity is desired state: a new addition holds the latest billed units, 0 when
    the company was never billed or that billing did not bill the product."""
    moved = acme(agreements=frozen_map({"wfbss": AgreementRef("Managed Service", "Security")}))
    wfbss = only_lines(impact([acme()], [moved], live(WFBSS, HES, agreements=(MAIN, OTHER),
                                                      **found)))["wfbss"]
    assert wfbss.after.units == units and why in wfbss.note
    assert wfbss.delta == (None if units is None else -160)


def test_latest_billed_units_win_over_the_live_quantity():
    moved = acme(agreements=frozen_map({"wfbss": AgreementRef("Managed Service", "Security")}))
    found = live(WFBSS, HES, agreements=(MAIN, OTHER), billed=frozen_map({"wfbss": 38.0}),
                 billed_from="ticket #12 (tmrm:billing:ACME:2026-10)")
    wfbss = only_lines(impact([acme()], [moved], found))["wfbss"]
    assert wfbss.after.units == 38 and wfbss.after.amount == pytest.approx(171.0)
    assert "latest billed units, ticket #12 (tmrm:billing:ACME:2026-10)" in wfbss.note


def test_a_move_onto_an_agreement_that_already_bills_it_keeps_that_additions_price():
    there = Addition(9, 2, "TM-WFBSS", quantity=40, unit_price=3.5)
    moved = acme(agreements=frozen_map({"wfbss": AgreementRef("Managed Service", "Security")}))
    wfbss = only_lines(impact([acme()], [moved], live(WFBSS, there, HES,
                                                      agreements=(MAIN, OTHER))))["wfbss"]
    # now: both additions bill (160 + 140); after: only the one on Security stays, with the
    # quantity no billing recorded (apply leaves it)
    assert (wfbss.now.units, wfbss.now.amount) == (80, 300)
    assert (wfbss.after.units, wfbss.after.amount) == (40, 140)
    assert "addition #9's quantity, which no billing recorded; addition #9's unit price" \
        in wfbss.note


def test_billing_turned_off_cancels_every_product():
    off = acme(policy=Policy())
    result = impact([acme()], [off], live(WFBSS, HES))
    assert {p: (line.kind, line.delta) for p, line in only_lines(result).items()} == {
        "wfbss": ("removed", -160), "hes": ("removed", -24)}
    assert money(result.delta) == "-184.00"


@pytest.mark.parametrize("after", [[acme(enabled=False)], []], ids=["disabled", "removed"])
def test_a_customer_disabled_or_removed_is_left_billing_as_it_is(after):
    result = impact([acme()], after, live(WFBSS, HES))
    lines = only_lines(result)
    assert {p: line.kind for p, line in lines.items()} == {"wfbss": "left as is",
                                                           "hes": "left as is"}
    assert all(line.delta == 0 and line.after == line.now for line in lines.values())
    assert "their quantity no longer updated" in lines["wfbss"].note


def test_a_new_customer_adds_every_product_and_a_changed_day_changes_no_amount():
    assert only_lines(impact(None, [acme()], live()))["wfbss"].kind == "added"
    later = acme(policy=Policy(billing=BillingPolicy(20, ("wfbss", "hes"))))
    assert impact([acme()], [later], live(WFBSS, HES)).customers == ()


@pytest.mark.parametrize(("found", "why"), [
    (live(replace(WFBSS, unit_price=None), HES), "addition #7 has no unit price"),
    (live(HES, prices=frozen_map({})), "catalog item TM-wfbss has no price"),
    (live(HES, prices=None), "the catalog's prices could not be read"),
    (live(HES, agreements=()), "its agreement is not resolved"),
    (live(WFBSS, HES, problem="GET /finance/agreements: malformed agreement"),
     "unknown: GET /finance/agreements: malformed agreement"),
    ({}, "unknown: ConnectWise was not read"),
])
def test_an_unknown_price_or_quantity_is_said_and_not_counted(found, why):
    """wfbss moved (or added) where its price, agreement or records cannot be known."""
    moved = acme(agreements=frozen_map({"wfbss": AgreementRef("Managed Service", "Main")}))
    result = impact([acme(("hes",))], [moved], found)
    wfbss = only_lines(result)["wfbss"]
    assert wfbss.delta is None and why in wfbss.note
    assert result.unknown == 1 and result.delta == 0


def test_the_reads_are_bulk_and_a_malformed_addition_makes_its_company_unknown():
    gw = FakeGateway()
    company = gw.add_company(10, "ACME")
    main = gw.add_agreement(1, company, "Managed Service", "Main")
    gw.add_agreement(3, company, "Managed Service", "Old", cancelled=True)
    gw.add_addition(7, main, "TM-WFBSS", quantity=40, unit_price=4.0)
    gw.add_catalog_item(1, "TM-wfbss", price=4.5)
    found = read_live_billing(gw, ["acme"], settings(), None, TODAY)
    assert [a.id for a in found["acme"].agreements] == [1, 3]
    assert [x.id for x in found["acme"].additions] == [7]  # the cancelled agreement: not read
    assert dict(found["acme"].prices) == {"tm-wfbss": 4.5}  # the others are not in the catalog
    assert found["acme"].billed is None and found["acme"].billed_from == "never billed"
    assert gw.request_count == 4  # agreements, additions, catalog, billing tickets
    gw.answer_malformed("additions", "addition", owner=1)
    assert "malformed addition" in read_live_billing(gw, ["ACME"], settings(), None,
                                                     TODAY)["acme"].problem


def test_units_come_from_the_latest_billing_record_reading_a_note_only_on_a_mismatch():
    gw = FakeGateway()
    company = gw.add_company(10, "ACME")
    main = gw.add_agreement(1, company, "Managed Service", "Main")
    gw.add_addition(7, main, "TM-wfbss", quantity=40, unit_price=4.0)  # edited by hand
    key = send_key("billing", "ACME", "2026-10")
    billed = records.billing_record(key, {"wfbss": 38})
    gw.add_ticket(50, key, "ACME", records.tagged_summary("Trend Micro billing", billed),
                  text=records.record_line(billed), entered="2026-11-05T11:00:00Z")
    found = read_live_billing(gw, ["ACME"], settings(), None, TODAY)["acme"]
    assert dict(found.billed) == {"wfbss": 38}
    assert found.billed_from == f"billed on ticket #50 ({key})"
    assert gw.request_count == 5  # the four reads, and the one note (digests differ)
    # the additions hold what was billed: the digest matches, no note is read
    gw.add_addition(7, main, "TM-wfbss", quantity=38, unit_price=4.0)
    before = gw.request_count
    assert dict(read_live_billing(gw, ["ACME"], settings(), None, TODAY)["acme"].billed) \
        == {"wfbss": 38}
    assert gw.request_count - before == 4
