"""Customer files that did not load (Fleet.rejected): errors in the plan, nothing planned."""

from datetime import date
from pathlib import Path

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.model import Fleet, RejectedCustomer
from reconciler.domain.selection import by_slugs, select
from reconciler.plan.diff import build_plan
from reconciler.plan.model import Plan
from tests.plan.plan_factories import customer, settings, snapshot

BROKEN = RejectedCustomer(
    "acme",
    "customers/acme.yaml",
    "ACME",
    (
        Diagnostic("customers/acme.yaml", 16, 10, "custom.billing.day is 32; the maximum is 31"),
        Diagnostic("customers/acme.yaml", 3, 1, "a warning", "warning"),
        Diagnostic("customers/acme.yaml", 0, 0, "second error"),
    ),
)
FLEET = Fleet(Path("."), settings(), (customer("globex", "GLOBEX"),), rejected=(BROKEN,))


def test_each_error_of_a_rejected_file_is_a_customer_error_naming_file_line_col():
    plan = build_plan(settings(), [], [], snapshot(), today=date(2026, 11, 25),
                      rejected=[BROKEN])
    assert [(e.customer, e.company, e.message) for e in plan.errors] == [
        ("acme", "ACME", "customers/acme.yaml: second error"),
        ("acme", "ACME", "customers/acme.yaml:16:10: custom.billing.day is 32; the maximum is 31"),
    ]
    assert [(c.slug, c.status) for c in plan.customers] == [("acme", "error")]
    assert plan.changes == ()


def test_a_rejected_file_without_a_readable_company_still_reports():
    unreadable = RejectedCustomer("x", "customers/x.yaml", None,
                                  (Diagnostic("customers/x.yaml", 1, 7, "invalid YAML"),))
    plan = build_plan(settings(), [], [], snapshot(), today=date(2026, 11, 25),
                      rejected=[unreadable])
    assert [(e.customer, e.company) for e in plan.errors] == [("x", "")]


def test_the_errors_survive_a_saved_plan():
    plan = build_plan(settings(), [], [], snapshot(), today=date(2026, 11, 25),
                      rejected=[BROKEN])
    assert Plan.from_json(plan.to_json()).errors == plan.errors


def test_selection_picks_rejected_files_by_slug_company_and_changed_path():
    assert select(FLEET).rejected == (BROKEN,)
    assert select(FLEET, ["AC*"]).rejected == (BROKEN,)  # a glob naming only it is no typo
    assert select(FLEET, ["glo*"]).rejected == ()
    assert select(FLEET, changed_paths={"customers/acme.yaml"}).rejected == (BROKEN,)
    assert select(FLEET, changed_paths={"customers/globex.yaml"}).rejected == ()


def test_a_saved_plan_naming_a_rejected_file_selects_it_as_rejected():
    sel = by_slugs(FLEET, ["acme", "globex"])
    assert [c.slug for c in sel.enabled] == ["globex"] and sel.rejected == (BROKEN,)
