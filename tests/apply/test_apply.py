"""apply_plan and its checks against the in-memory gateway (no HTTP; the requests each
write makes are tests/connectwise/test_gateway_http.py's)."""

from dataclasses import replace
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


def change(kind, customer="acme", addition_id=None, after=None, agreement=AG):
    if kind == "create" and after is None:
        after = {"product": "TM-WFBSS", "billCustomer": "Billable", "quantity": 42}
    return Change(kind, customer, customer.upper(), agreement, "wfbss", "TM-WFBSS", addition_id,
                  None, after or {}, "why")


def test_writes_are_creates_and_patches_never_deletes():
    other = AgreementInfo(11, "ACME Other", "Managed Service")
    plan = Plan.build([
        change("create", agreement=other),
        change("cancel", addition_id=5),
        change("update", addition_id=6, after={"billCustomer": "Billable"}),
    ])
    fake = fake_with_additions(5, 6)
    fake.add_agreement(11, fake.add_company(9, "ACME"), other.type, other.name)
    report = apply_plan(plan, fake, today=TODAY)
    assert not report.failed and report.count("applied") == 3
    assert fake.writes == [
        ("cancel_addition", 10, 5, TODAY),
        # the plan's quantity, never ConnectWise's undocumented default
        ("create_addition", 11, NewAddition("TM-WFBSS", "Billable", TODAY, 42)),
        ("update_addition", 10, 6, {"billCustomer": "Billable"}),
    ]
    assert not fake.addition(5).live_on(TODAY)  # cancelled, still there
    assert fake.addition(6).bill_customer == "Billable"


def test_one_customers_failure_skips_its_rest_and_others_go_on():
    plan = Plan.build([
        change("cancel", "acme", addition_id=5),
        change("create", "acme"),
        change("create", "zed", agreement=AgreementInfo(20, "ZED TMRM", AG.type)),
    ])
    fake = fake_with_additions(5)
    fake.add_agreement(20, fake.add_company(19, "ZED"), AG.type, "ZED TMRM")
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


class TwinApply(FakeGateway):
    """A ConnectWise where another apply creates the same addition at the same moment:
    just before ours (`first=True`: it wins) or just after (ours wins)."""

    def __init__(self, *, first: bool) -> None:
        super().__init__()
        self.first = first
        self.twins: list[int] = []

    def create_addition(self, agreement_id, new):
        if self.first:
            self.twins.append(super().create_addition(agreement_id, new).id)
        mine = super().create_addition(agreement_id, new)
        if not self.first:
            self.twins.append(super().create_addition(agreement_id, new).id)
        return mine


def twin_world(first: bool) -> TwinApply:
    fake = TwinApply(first=first)
    fake.add_agreement(10, fake.add_company(9, "ACME"), AG.type, AG.name)
    return fake


def live(fake, agreement_id=10):
    return [x.id for x in fake.additions([agreement_id]).records if x.live_on(TODAY)]


def test_a_twin_made_first_by_another_apply_wins_and_ours_is_cancelled():
    fake = twin_world(first=True)
    report = apply_plan(Plan.build([change("create")]), fake, today=TODAY)
    [outcome] = report.outcomes
    assert outcome.status == "applied" and not report.failed
    [twin] = fake.twins
    assert live(fake) == [twin]  # exactly one stays: the older
    assert f"another apply created addition {twin} at the same moment" in outcome.message
    assert fake.addition(twin).quantity == 42


def test_a_twin_made_after_ours_is_left_for_its_own_apply_to_cancel():
    fake = twin_world(first=False)
    report = apply_plan(Plan.build([change("create")]), fake, today=TODAY)
    assert report.outcomes[0].message == "" and len(live(fake)) == 2  # ours is the older
    assert [w[0] for w in fake.writes] == ["create_addition", "create_addition"]


def test_an_addition_made_since_the_plan_is_kept_instead_of_creating_another():
    fake = fake_with_additions()
    plan = Plan.build([change("create")])
    fake.add_addition(77, fake._agreements[10], "TM-WFBSS")  # another apply was faster
    report = apply_plan(plan, fake, today=TODAY)
    assert report.outcomes[0].status == "applied"
    assert "already there: addition 77" in report.outcomes[0].message
    assert fake.writes == []


def test_cancels_of_duplicates_do_not_count_towards_the_threshold():
    duplicates = [replace(change("cancel", addition_id=i + 1), duplicate_of=100)
                  for i in range(5)]
    plan = Plan.build(duplicates, customers=(CustomerStatus("acme", "ACME", "ok", 10),))
    assert check_thresholds(plan, 30, 10, force=False) is None  # a repair, not a loss
    real = Plan.build([*duplicates, *(change("cancel", addition_id=50 + i) for i in range(4))],
                      customers=(CustomerStatus("acme", "ACME", "ok", 10),))
    with pytest.raises(ThresholdExceeded, match=r"cancels 4 of 10"):
        check_thresholds(real, 30, 10, force=False)


def test_a_create_without_a_planned_quantity_is_refused():
    fake = fake_with_additions()
    plan = Plan.build([change("create", after={"product": "TM-WFBSS", "billCustomer": "B"})])
    report = apply_plan(plan, fake, today=TODAY)
    assert report.failed and "gives no quantity" in report.outcomes[0].message
    assert fake.writes == []
