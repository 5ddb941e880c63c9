"""apply_plan and its checks against the in-memory gateway (no HTTP; the requests each
write makes are tests/connectwise/test_gateway_http.py's)."""

from datetime import date

import pytest

from reconciler.apply import (
    StalePlan,
    ThresholdExceeded,
    apply_plan,
    check_fresh,
    check_thresholds,
)
from reconciler.connectwise import ServerError
from reconciler.connectwise.records import NewAddition
from reconciler.plan.model import (
    AgreementInfo,
    Change,
    CustomerError,
    CustomerStatus,
    Fingerprint,
    Plan,
)
from tests.fakes.gateway import FakeGateway

AG = AgreementInfo(10, "ACME TMRM", "TMRM Management Solution")
TODAY = date(2026, 11, 25)


def fake_with_additions(*ids: int) -> FakeGateway:
    fake = FakeGateway()
    acme = fake.add_company(9, "ACME")
    agreement = fake.add_agreement(10, acme, AG.type, AG.name)
    for addition_id in ids:
        fake.add_addition(addition_id, agreement, "TM-WFBSS", bill_customer="DoNotBill")
    return fake


def change(kind, customer="acme", addition_id=None, after=None):
    return Change(kind, customer, customer.upper(), AG, "wfbss", "TM-WFBSS", addition_id, None,
                  after or {}, "why")


def test_writes_are_creates_and_patches_never_deletes():
    plan = Plan.build([
        change("create"),
        change("cancel", addition_id=5),
        change("update", addition_id=6, after={"billCustomer": "Billable"}),
    ])
    fake = fake_with_additions(5, 6)
    report = apply_plan(plan, fake, today=TODAY)
    assert not report.failed and report.count("applied") == 3
    assert fake.writes == [
        ("cancel_addition", 10, 5, TODAY),
        ("create_addition", 10, NewAddition("TM-WFBSS", "Billable", TODAY)),
        ("update_addition", 10, 6, {"billCustomer": "Billable"}),
    ]
    assert not fake.addition(5).live_on(TODAY)  # cancelled, still there
    assert fake.addition(6).bill_customer == "Billable"


def test_one_customers_failure_skips_its_rest_and_others_go_on():
    plan = Plan.build([
        change("cancel", "acme", addition_id=5),
        change("create", "acme"),
        change("create", "zed"),
    ])
    fake = fake_with_additions(5)
    fake.fail("cancel_addition", 5, ServerError(500, "", "boom", (), "PATCH", "/x"))
    seen = []
    report = apply_plan(plan, fake, today=TODAY, progress=lambda d, t, o: seen.append((d, t)))
    assert report.failed
    assert [(o.customer, o.status) for o in report.outcomes] == [
        ("acme", "failed"), ("acme", "skipped"), ("zed", "applied")]
    assert "acme: cancel wfbss on TMRM Management Solution / ACME TMRM" in (
        report.outcomes[0].message)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert [w[0] for w in fake.writes] == ["create_addition"]  # zed's; acme's create skipped


def test_customers_with_plan_errors_count_as_failed():
    plan = Plan.build([change("create", "zed")], errors=[CustomerError("bad", "BAD", "no co")])
    report = apply_plan(plan, FakeGateway(), today=TODAY)
    assert report.failed and report.outcomes[-1].status == "not planned"


def test_stale_plan_is_refused_naming_what_changed():
    saved = Plan.build([], fingerprint=Fingerprint("c1", "l1"))
    check_fresh(saved, Plan.build([], fingerprint=Fingerprint("c1", "l1")))
    with pytest.raises(StalePlan, match="ConnectWise changed"):
        check_fresh(saved, Plan.build([], fingerprint=Fingerprint("c1", "l2")))
    with pytest.raises(StalePlan, match="configuration"):
        check_fresh(saved, Plan.build([], fingerprint=Fingerprint("c2", "l1")))


def plan_with(cancels, managed):
    return Plan.build([change("cancel", addition_id=i + 1) for i in range(cancels)],
                      customers=(CustomerStatus("acme", "ACME", "ok", managed),))


def test_threshold_refuses_then_force_passes():
    assert check_thresholds(plan_with(3, 10), 30, 10, force=False) is None  # exactly 30%
    with pytest.raises(ThresholdExceeded, match=r"cancels 4 of 10 managed additions \(40%\)"):
        check_thresholds(plan_with(4, 10), 30, 10, force=False)
    assert "applying anyway" in check_thresholds(plan_with(4, 10), 30, 10, force=True)
    assert check_thresholds(plan_with(5, 9), 30, 10, force=False) is None  # too few to judge


def test_progress_is_a_live_counter_on_a_tty_and_periodic_lines_otherwise():
    import io

    from reconciler.cli.apply_cmd import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    for i in range(1, 4):
        Progress(tty)(i, 3, None)
    assert tty.getvalue() == ("\rapplying: 1/3 changes\rapplying: 2/3 changes"
                              "\rapplying: 3/3 changes\n")
    log = io.StringIO()
    progress = Progress(log, every=2)
    for i in range(1, 6):
        progress(i, 5, None)
    assert log.getvalue().splitlines() == ["applying: 2/5 changes", "applying: 4/5 changes",
                                           "applying: 5/5 changes"]
    quiet = io.StringIO()
    Progress(quiet, every=50)(1, 3, None)  # short runs stay quiet in logs
    assert quiet.getvalue() == ""
