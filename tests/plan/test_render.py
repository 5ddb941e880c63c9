import json

from reconciler.plan.model import Change, Plan
from reconciler.plan.render import render
from reconciler.plan.render.markdown import render_markdown
from tests.plan.plan_factories import AG, sample_plan


def test_text_has_totals_requests_errors_candidates_and_no_colour_by_default():
    out = render(sample_plan(), "text")
    assert "Plan: 1 to create, 1 to update, 1 to cancel. (1 error, 1 warning)" in out
    assert "7 requests to ConnectWise" in out
    assert "candidate: BAT" in out
    assert "\x1b[" not in out
    assert "\x1b[" in render(sample_plan(), "text", color=True)


def test_no_changes_says_so():
    assert "No changes." in render(Plan.build([]), "text")


def test_json_output_is_the_plan_model():
    data = json.loads(render(sample_plan(), "json"))
    assert data["format_version"] == 1 and data["requests"] == 7
    assert {"customer", "company", "agreement", "product", "before", "after"} <= set(
        data["changes"][0])


def test_markdown_totals_first_and_customer_sections():
    out = render(sample_plan(), "markdown")
    assert out.index("1 to create") < out.index("### acme")
    assert "```diff" in out and "### Errors" in out


def test_markdown_of_a_huge_plan_stays_under_the_limit_and_says_what_it_left_out():
    changes = [
        Change("create", f"customer-{i:05d}", f"C{i}", AG, p, "TM-X", None, None,
               {"billCustomer": "Billable"}, "why")
        for i in range(3000)
        for p in ("wfbss", "hes")
    ]
    out = render_markdown(Plan.build(changes))
    assert len(out) < 65_000
    assert "6000 to create" in out
    shown = out.count("### customer-")
    assert 0 < shown < 3000
    assert f"{3000 - shown} customers ({2 * (3000 - shown)} changes)" in out
