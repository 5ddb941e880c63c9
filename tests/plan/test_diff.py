from dataclasses import replace
from datetime import date

from reconciler.config.model import AgreementRef
from reconciler.plan.diff import build_plan, diff_customer
from reconciler.plan.snapshot import UnmanagedCompany
from tests.plan.plan_factories import addition, agreement, company, customer, settings, snapshot

TODAY = date(2026, 11, 25)
S = settings()
MS = AgreementRef("Managed Service", "ACME Endpoint Protection")


def acme_live(adds_default=(), adds_ms=()):
    return snapshot(
        [company(9, "ACME", "Acme Corp")],
        [
            agreement(10, 9, "TMRM Management Solution", "ACME TMRM"),
            agreement(11, 9, "Managed Service", "ACME Endpoint Protection"),
            agreement(12, 9, "Managed Service", "Old", status="Expired"),
        ],
        {10: list(adds_default), 11: list(adds_ms)},
    )


def kinds(result):
    return [(c.kind, c.product, c.agreement.id, c.addition_id) for c in result.changes]


def test_missing_addition_is_created_on_the_resolved_agreement():
    r = diff_customer(customer(products=("wfbss",)), S, acme_live(), TODAY)
    assert kinds(r) == [("create", "wfbss", 10, None)]
    # billing not read (a bare snapshot): no live addition holds a quantity, so it starts
    # at 0, written explicitly
    assert r.changes[0].after == {"product": "TM-WFBSS", "billCustomer": "Billable",
                                  "quantity": 0}
    assert r.changes[0].quantity_source == "no live addition holds a quantity for it"


def test_in_sync_customer_has_no_changes_and_quantity_is_ignored_unless_billing_is_read():
    live = acme_live([replace(addition(1, "TM-WFBSS"), quantity=57)])
    r = diff_customer(customer(products=("wfbss",)), S, live, TODAY)
    assert r.changes == [] and r.errors == [] and r.managed_additions == 1


def test_drifted_bill_customer_and_pending_cancel_are_updated():
    live = acme_live([addition(1, "TM-WFBSS", bill="DoNotBill", cancelled="2027-01-01T00:00:00Z")])
    r = diff_customer(customer(products=("wfbss",)), S, live, TODAY)
    assert kinds(r) == [("update", "wfbss", 10, 1)]
    assert r.changes[0].before == {"billCustomer": "DoNotBill",
                                   "cancelledDate": "2027-01-01T00:00:00Z"}
    assert r.changes[0].after == {"billCustomer": "Billable", "cancelledDate": None}


def test_moved_product_is_cancelled_on_the_old_agreement_and_created_on_the_new():
    live = acme_live([addition(1, "TM-APEXONE")])
    r = diff_customer(customer(products=("apex-one",), agreements={"apex-one": MS}), S, live,
                      TODAY)
    assert sorted(kinds(r)) == [("cancel", "apex-one", 10, 1), ("create", "apex-one", 11, None)]
    cancel = next(c for c in r.changes if c.kind == "cancel")
    assert cancel.reason == "moved to Managed Service / ACME Endpoint Protection"
    assert cancel.after == {"cancelledDate": "2026-11-25"}


def test_product_no_longer_billed_is_cancelled_never_deleted():
    live = acme_live([addition(1, "TM-WFBSS"), addition(2, "TM-HES")])
    r = diff_customer(customer(products=("wfbss",)), S, live, TODAY)
    assert kinds(r) == [("cancel", "hes", 10, 2)]
    assert r.changes[0].reason == "hes is no longer billed"


def test_unmanaged_and_already_cancelled_additions_are_untouched():
    live = acme_live([addition(1, "TM-WFBSS"), addition(2, "OTHER-AV"),
                      addition(3, "TM-HES", cancelled="2026-10-01T00:00:00Z")])
    r = diff_customer(customer(products=("wfbss",)), S, live, TODAY)
    assert r.changes == [] and r.managed_additions == 1


def test_duplicates_keep_the_lowest_id_and_cancel_the_rest():
    live = acme_live([addition(7, "TM-WFBSS"), addition(3, "TM-WFBSS")])
    r = diff_customer(customer(products=("wfbss",)), S, live, TODAY)
    assert kinds(r) == [("cancel", "wfbss", 10, 7)]
    assert "duplicate of addition 3" in r.changes[0].reason


def test_missing_company_is_an_error_with_suggestions():
    snap = snapshot()
    snap.suggestions["acmee"] = ("ACME", "ACMECO")
    r = diff_customer(customer(company="ACMEE"), S, snap, TODAY)
    assert r.changes == []
    assert "company ACMEE does not exist in ConnectWise; closest identifiers: ACME, ACMECO" in (
        r.errors[0].message)


def test_deleted_company_is_an_error():
    snap = snapshot([company(9, "ACME", "Acme Corp", deleted=True)])
    r = diff_customer(customer(), S, snap, TODAY)
    assert r.changes == [] and "is deleted in ConnectWise" in r.errors[0].message


def test_unresolvable_agreement_stops_only_that_customer():
    bad = customer(products=("wfbss", "apex-one"),
                   agreements={"apex-one": AgreementRef("Managed Service", "Nope")})
    r = diff_customer(bad, S, acme_live([addition(1, "TM-HES")]), TODAY)
    assert r.changes == []  # no cancel of hes either: the customer is not planned at all
    assert "company ACME: apex-one: no active agreement 'Managed Service / Nope'" in (
        r.errors[0].message)


def test_name_drift_warns():
    r = diff_customer(customer(name="ACME Inc"), S, acme_live(), TODAY)
    assert [w.code for w in r.warnings] == ["name_drift"]


def test_plan_orders_cancels_creates_updates_and_keeps_other_customers():
    snap = acme_live([addition(1, "TM-HES"), addition(2, "TM-WFBSS", bill="NoCharge")])
    snap.companies["zed"] = company(20, "ZED", "Zed Corp")
    snap.agreements[20] = [agreement(30, 20, "Managed Service", "Z")]
    snap.additions[30] = []
    snap.unmanaged = [UnmanagedCompany("DUNDER", "Dunder Mifflin", ("TM-WFBSS",))]
    customers = [
        customer("zed", "ZED", ("wfbss",), name="Zed Corp"),
        customer("acme", "ACME", ("wfbss", "apex-one"), name="Acme Corp"),
        customer("bad", "NOPE", ("wfbss",)),
    ]
    off = customer("off", "OFF", enabled=False)
    plan = build_plan(S, customers, [off], snap, today=TODAY)
    assert [(c.kind, c.customer, c.product) for c in plan.changes] == [
        ("cancel", "acme", "hes"),
        ("create", "acme", "apex-one"),
        ("create", "zed", "wfbss"),
        ("update", "acme", "wfbss"),
    ]
    assert [e.customer for e in plan.errors] == ["bad"]
    assert [w.code for w in plan.warnings] == ["disabled", "unmanaged_company"]
    assert [(c.slug, c.status) for c in plan.customers] == [
        ("acme", "ok"), ("bad", "error"), ("zed", "ok")]
    assert plan.managed_additions == 2
    assert plan.fingerprint.live.startswith("sha256:")
