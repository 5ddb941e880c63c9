"""Audit renderers: every format says the same thing, machines can parse theirs, the
markdown fits a comment however large the fleet, and no text becomes markup or a formula."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from reconciler.audit.engine import audit
from reconciler.audit.model import AuditReport, CustomerAudit, Finding, Requests, Row
from reconciler.audit.render import FORMATS, render
from reconciler.audit.render.data import CSV_COLUMNS
from reconciler.audit.render.html import DETAIL_ALL, render_html
from reconciler.audit.render.markdown import render_markdown
from reconciler.config.model import frozen_map
from reconciler.domain.keys import send_key
from reconciler.plan.render.markdown import LIMIT
from tests.audit.audit_factories import clean_world, scope
from tests.review.review_factories import customer as review_customer


@pytest.fixture(scope="module")
def faulty():
    world = clean_world()
    world.drop(send_key("billing", "ACME", "2026-03"))
    late = send_key("hosted_email_security", "ACME", "2026-W10")
    world.move(late, world.find(late).created + timedelta(days=3))
    world.additions[0] = replace(world.additions[0], quantity=99)
    return audit(world.facts(), scope())


@pytest.fixture(scope="module")
def clean():
    return audit(clean_world().facts(), scope())


def test_csv_has_one_parsable_row_per_customer_period(faulty):
    rows = list(csv.DictReader(io.StringIO(render(faulty, "csv"))))
    assert len(rows) == len(faulty.rows) == 99  # Globex's December is not due yet
    assert tuple(rows[0]) == CSV_COLUMNS
    march = next(r for r in rows if (r["customer"], r["send"], r["period"])
                 == ("acme", "billing", "2026-03"))
    assert (march["status"], march["money"], march["finding_kinds"]) == ("missed", "yes",
                                                                       "missed")
    december = next(r for r in rows if (r["customer"], r["send"], r["period"])
                    == ("acme", "billing", "2026-12"))
    assert december["finding_kinds"] == "addition_changed"
    assert december["billed_units"] == "cas=29;wfbss=27"
    assert len({(r["customer"], r["send"], r["period"]) for r in rows}) == len(rows)


def test_csv_cells_never_start_a_formula():
    finding = Finding("missed", "money", "acme", "ACME", "billing", "2026-03",
                      "=HYPERLINK(\"http://x\")")
    row = Row("acme", "=cmd|' /C calc'!A0", "billing", "2026-03", "missed",
              findings=(finding,))
    report = AuditReport(date(2026, 1, 1), date(2026, 12, 31), datetime(2027, 1, 1, tzinfo=UTC),
                         (CustomerAudit("acme", "Acme", "ACME", (), (row,), (), (finding,)),))
    (parsed,) = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert parsed["company"] == "'=cmd|' /C calc'!A0"
    assert parsed["messages"].startswith("'=HYPERLINK")


def test_json_has_format_version_counts_and_every_finding(faulty):
    data = json.loads(render(faulty, "json"))
    assert data["format_version"] == 1
    assert (data["from"], data["to"]) == ("2026-01", "2026-12")
    assert data["counts"]["by_kind"] == {"missed": 1, "late": 1, "addition_changed": 1}
    assert data["counts"]["by_severity"] == {"money": 2, "warning": 0, "notice": 1}
    assert len(data["rows"]) == 99 and len(data["findings"]) == 3
    missed = next(f for f in data["findings"] if f["kind"] == "missed")
    assert missed["money"] is True and missed["commit"] == "a" * 40


def test_text_and_markdown_of_a_clean_year(clean):
    assert "No findings." in render(clean, "text")
    md = render(clean, "markdown")
    assert "**No findings.**" in md and "###" not in md


def test_text_names_every_finding_and_where_it_comes_from(faulty):
    text = render(faulty, "text")
    assert "3 findings: 2 about money, 0 warnings, 1 notice." in text
    assert "addition #500" in text and "(ticket #" in text


def _huge_report(customers: int) -> AuditReport:
    out = []
    for i in range(customers):
        slug = f"customer-{i:05d}"
        findings = tuple(
            Finding("missed" if n % 2 else "late", "money" if n % 2 else "notice", slug,
                    slug.upper(), "billing", f"2026-{n + 1:02d}",
                    f"due 2026-{n + 1:02d}-05 under the policy of commit abcdef0, never sent")
            for n in range(6))
        out.append(CustomerAudit(slug, f"Customer {i}", slug.upper(), ("wfbss",), (), (),
                                 findings))
    return AuditReport(date(2026, 1, 1), date(2026, 12, 31), datetime(2027, 1, 1, tzinfo=UTC),
                       tuple(out))


def test_markdown_of_a_huge_fleet_fits_a_comment_and_says_what_it_left_out():
    report = _huge_report(3000)
    md = render_markdown(report)
    assert len(md) < LIMIT < 65_536
    shown = md.count("\n### ")
    assert 0 < shown < 3000
    left = 3000 - shown
    assert f"**Left out to fit a comment:** {left} customers ({left * 6} findings, " \
           f"{left * 3} about money)" in md
    assert "| 3000 | 0 |" in md  # the totals still count everyone


def test_the_huge_fleets_comment_keeps_its_requests_line():
    cost = Requests(2612, frozen_map({"discovery": 1, "tickets": 50, "agreements": 3,
                                      "additions": 2000, "notes": 4}))
    md = render_markdown(replace(_huge_report(3000), requests=cost))
    assert len(md) < LIMIT
    assert md.rstrip().endswith(
        "<sub>2612 requests to ConnectWise; minimum 2058 (1 discovery, 50 ticket pages, "
        "3 agreement pages, 2000 addition lists, 4 notes): 1.27x.</sub>")


def test_requests_in_every_format_that_has_a_footer(faulty):
    cost = Requests(9, frozen_map({"tickets": 1, "additions": 3}))
    report = replace(faulty, requests=cost)
    line = "9 requests to ConnectWise; minimum 4 (1 ticket pages, 3 addition lists): 2.25x."
    assert render(report, "text").rstrip().endswith(line)
    assert line in render(report, "html")
    assert json.loads(render(report, "json"))["requests"] == {
        "made": 9, "minimum": 4, "minimum_by_read": {"tickets": 1, "additions": 3}}
    # facts built by hand: ConnectWise was not read, and no format pretends it was
    assert json.loads(render(faulty, "json"))["requests"] is None
    assert "requests to ConnectWise" not in render(faulty, "text") + render(faulty, "markdown")


def test_markdown_puts_money_first():
    report = _huge_report(3)
    quiet = replace(report.customers[0], slug="aaa-quiet", findings=tuple(
        replace(f, kind="late", severity="notice") for f in report.customers[0].findings))
    report = replace(report, customers=(quiet, *report.customers[1:]))
    md = render_markdown(report)
    assert md.index("customer-00001") < md.index("aaa-quiet")


def test_markdown_escapes_names():
    report = _huge_report(1)
    hostile = replace(report.customers[0], name="<img src=x> | [link](http://x)")
    md = render_markdown(replace(report, customers=(hostile,)))
    # backslash-escaped, as the policy review does: GitHub shows the characters as text
    assert not re.search(r"(?<!\\)<img", md) and not re.search(r"(?<!\\)\]\(http", md)
    assert "\\<img src=x\\>" in md


def test_unknown_format_is_refused(faulty):
    with pytest.raises(ValueError, match="unknown audit format"):
        render(faulty, "pdf")
    assert set(FORMATS) == {"text", "markdown", "json", "csv", "html"}


def test_rendering_is_deterministic(faulty):
    for fmt in FORMATS:
        assert render(faulty, fmt) == render(faulty, fmt)


def _fleet_report(n: int, faulty: tuple[int, ...]) -> AuditReport:
    """n billing customers for 2026; customer i in `faulty` missed i+1 months (so the
    higher the number, the worse), the others are clean."""
    customers = tuple(review_customer(f"c{i:03d}") for i in range(n))
    world = clean_world(customers)
    for i in faulty:
        for month in range(1, i + 2):
            world.drop(send_key("billing", f"C{i:03d}", f"2026-{month:02d}"))
    return audit(world.facts(), scope())


def _sections(html: str) -> list[str]:
    return re.findall(r'<section class="customer" id="c-([^"]+)"', html)


def test_html_of_a_small_fleet_details_every_customer(clean):
    html = render(clean, "html")
    assert _sections(html) == ["acme", "globex", "initech"]
    assert 'id="not-detailed"' not in html


def test_html_of_a_large_fleet_details_only_customers_with_findings():
    report = _fleet_report(DETAIL_ALL + 5, faulty=(3, 17))
    html = render(report, "html")
    assert _sections(html) == ["c003", "c017"]
    assert (f"{DETAIL_ALL + 3} customers without findings are not detailed here"
            in html)
    # the overview still has a line for everyone, linking only to the detailed ones
    assert html.count('<a href="#c-') == 2 * 2  # nav and overview, each customer once
    for i in range(DETAIL_ALL + 5):
        assert f"c{i:03d} <span class=\"muted\">" in html or f'#c-c{i:03d}"' in html


def test_html_past_its_size_budget_details_the_worst_and_names_the_rest():
    report = _fleet_report(DETAIL_ALL + 5, faulty=(2, 5, 9))
    one = len(render_html(report, budget=10**9)) - len(render_html(
        replace(report, customers=tuple(c for c in report.customers if c.slug != "c009")),
        budget=10**9))
    html = render_html(report, budget=int(one * 1.5))  # room for one section
    assert _sections(html) == ["c009"]  # the most missed months
    assert ("2 customers with findings (9 findings, 9 about money) are not detailed, to keep "
            "this file within its size budget") in html
    assert "(worst first): c005, c002." in html


def test_html_weighs_little_per_clean_customer():
    small = len(render(_fleet_report(DETAIL_ALL + 1, faulty=(0,)), "html"))
    large = len(render(_fleet_report(DETAIL_ALL + 101, faulty=(0,)), "html"))
    assert (large - small) / 100 < 600  # one overview line each, no chart
