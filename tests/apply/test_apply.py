"""apply_plan and its checks against a recording fake client (no HTTP)."""

import threading
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
from reconciler.plan.model import (
    AgreementInfo,
    Change,
    CustomerError,
    CustomerStatus,
    Fingerprint,
    Plan,
)

AG = AgreementInfo(10, "ACME TMRM", "TMRM Management Solution")
TODAY = date(2026, 11, 25)


class FakeClient:
    def __init__(self, fail_on=()):
        self.calls = []
        self.fail_on = set(fail_on)
        self.lock = threading.Lock()

    def map_concurrent(self, fn, items):
        return [fn(i) for i in items]

    def _record(self, method, path, body):
        with self.lock:
            self.calls.append((method, path, body))
        if path in self.fail_on:
            raise ServerError(500, "", "boom", (), method, path)
        return {}

    def post(self, path, body):
        return self._record("POST", path, body)

    def patch(self, path, ops):
        return self._record("PATCH", path, ops)


def change(kind, customer="acme", addition_id=None, after=None):
    return Change(kind, customer, customer.upper(), AG, "wfbss", "TM-WFBSS", addition_id, None,
                  after or {}, "why")


def test_writes_are_creates_and_patches_never_deletes():
    plan = Plan.build([
        change("create"),
        change("cancel", addition_id=5),
        change("update", addition_id=6, after={"billCustomer": "Billable"}),
    ])
    client = FakeClient()
    report = apply_plan(plan, client, today=TODAY)
    assert not report.failed and report.count("applied") == 3
    assert client.calls == [
        ("PATCH", "/finance/agreements/10/additions/5",
         [{"op": "replace", "path": "cancelledDate", "value": "2026-11-25T00:00:00Z"}]),
        ("POST", "/finance/agreements/10/additions",
         {"product": {"identifier": "TM-WFBSS"}, "billCustomer": "Billable",
          "effectiveDate": "2026-11-25T00:00:00Z"}),
        ("PATCH", "/finance/agreements/10/additions/6",
         [{"op": "replace", "path": "billCustomer", "value": "Billable"}]),
    ]


def test_one_customers_failure_skips_its_rest_and_others_go_on():
    plan = Plan.build([
        change("cancel", "acme", addition_id=5),
        change("create", "acme"),
        change("create", "zed"),
    ])
    client = FakeClient(fail_on={"/finance/agreements/10/additions/5"})
    seen = []
    report = apply_plan(plan, client, today=TODAY, progress=lambda d, t, o: seen.append((d, t)))
    assert report.failed
    assert [(o.customer, o.status) for o in report.outcomes] == [
        ("acme", "failed"), ("acme", "skipped"), ("zed", "applied")]
    assert "acme: cancel wfbss on TMRM Management Solution / ACME TMRM" in (
        report.outcomes[0].message)
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_customers_with_plan_errors_count_as_failed():
    plan = Plan.build([change("create", "zed")], errors=[CustomerError("bad", "BAD", "no co")])
    report = apply_plan(plan, FakeClient(), today=TODAY)
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
