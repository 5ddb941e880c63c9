"""The HTML report in a real headless Chromium (Debian's, driven by Playwright).

Opened from a file, as an auditor opens an artifact: it loads with no console error and
no request besides the file itself, nothing from a hostile customer name or commit
subject runs, the charts carry the expected marks for the known fleet, and a screenshot
is written (its path is printed in the session summary; a copy goes to
build/screenshots/ for the README).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reconciler.audit.engine import audit
from reconciler.audit.facts import PolicyChange
from reconciler.audit.model import FINDING_KINDS
from reconciler.audit.render import render
from reconciler.domain.keys import send_key
from tests import browser
from tests.audit.audit_factories import TZ, clean_world, fleet_customers, policy, scope
from tests.browser import browser_missing
from tests.required_tools import need

HOSTILE = '<script>window.__pwned = 1</script><img src="http://127.0.0.1:9/x" onerror="1">'
PROJECT = Path(__file__).resolve().parents[2]


def known_report():
    """The known fleet with a missed month, a late summary and a hand-edited addition;
    Acme's name and a commit subject carry markup that must stay text."""
    acme, globex, initech = fleet_customers()
    acme = replace(acme, name=f"Acme {HOSTILE}")
    world = clean_world((acme, globex, initech))
    world.timeline = [policy(world.timeline[0].commit, world.timeline[0].since,
                             (acme, globex, initech))]
    world.drop(send_key("billing", "ACME", "2026-03"))
    late = send_key("hosted_email_security", "ACME", "2026-W10")
    world.move(late, world.find(late).created + timedelta(days=3))
    world.additions[0] = replace(world.additions[0], quantity=99)
    world.changes.append(PolicyChange(world.timeline[0].commit, "2025-12-15T09:00:00+00:00",
                                      "Mallory <mallory@example.com>", f"Onboard {HOSTILE}",
                                      "ACME", ("customer added", "billing: day 5")))
    return audit(world.facts(), scope())


def _days_with_sends(report) -> int:
    """Distinct local days (New York) per customer on which a send went out or was due and
    missed."""
    tz = ZoneInfo(TZ)
    return sum(len({(r.sent or r.due).astimezone(tz).date() for r in c.rows
                    if r.sent or r.status == "missed"}) for c in report.customers)


def _customers_with_sends_in(report, year: int, month: int) -> int:
    tz = ZoneInfo(TZ)
    return sum(1 for c in report.customers
               if any(r.sent and (r.sent.astimezone(tz).year, r.sent.astimezone(tz).month)
                      == (year, month) for r in c.rows))


def test_the_report_opens_offline_with_the_expected_marks(tmp_path, screenshots):
    need("chromium", browser_missing())
    report = known_report()
    page_file = tmp_path / "audit.html"
    page_file.write_text(render(report, "html"), encoding="utf-8")
    url = page_file.as_uri()
    requests: list[str] = []
    console_errors: list[str] = []
    with browser.page(tmp_path / "profile") as page:
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: console_errors.append(m.text)
                if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.goto(url, wait_until="load", timeout=60_000)
        count = lambda selector: page.locator(selector).count()  # noqa: E731
        marks = {
            "kinds": count('[data-mark="kind-bar"]'),
            "units": count('[data-mark="units-bar"]'),
            "days": count('[data-mark="calendar-day"]'),
            "months": count('[data-mark="calendar-day-month"]'),
            "missed": count('[data-mark="calendar-day"][data-status="missed"]'),
            "late": count('[data-mark="calendar-day"][data-status="late"]'),
        }
        kind_total = page.evaluate(
            "[...document.querySelectorAll('[data-mark=kind-bar]')]"
            ".reduce((n, e) => n + Number(e.dataset.value), 0)")
        scripts = count("script")
        images = count("img")
        pwned = page.evaluate("window.__pwned === undefined ? null : window.__pwned")
        heading = page.locator("#c-acme h2").inner_text()
        subject = page.locator("#c-acme table", has_text="Onboard").inner_text()
        figures = page.evaluate(
            "[...document.querySelectorAll('figure')].map(f => [!!f.querySelector("
            "'figcaption'), f.querySelector('svg').getAttribute('role'), "
            "!!f.querySelector('svg > title'), f.nextElementSibling.querySelector('table')"
            " !== null])")
        shot = tmp_path / "audit.png"
        page.screenshot(path=str(shot), full_page=False)
        page.emulate_media(media="print")  # printable: no navigation, tables in full
        printed = page.evaluate(
            "[getComputedStyle(document.querySelector('nav')).display, "
            "getComputedStyle(document.querySelector('.scroll')).overflow, "
            "getComputedStyle(document.querySelector('section.customer')).breakBefore]")
    assert console_errors == []
    assert requests == [url]  # the file itself, and nothing else
    assert (scripts, images, pwned) == (0, 0, None)
    assert HOSTILE in heading and HOSTILE in subject  # shown as text
    assert marks == {
        "kinds": len(FINDING_KINDS),
        # acme: 2 products x 11 billed months (March missed); globex: 1 x 11 (December's
        # billing falls due on January 31st, after the report); initech: 1 x 12
        "units": 22 + 11 + 12,
        "days": _days_with_sends(report),  # a cell per day with a send (or a missed one)
        # and a row per month of 2026 per customer, and January 2027 for those with a send in
        # it
        "months": 3 * 12 + _customers_with_sends_in(report, 2027, 1),
        "missed": 1,
        "late": 1,
    }
    assert kind_total == len(report.findings) == 3
    assert printed == ["none", "visible", "page"]
    assert figures and all(f == [True, "img", True, True] for f in figures)
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = PROJECT / "build" / "screenshots" / "audit-report.png"
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep)
    screenshots.append(str(shot))
    print(f"audit report screenshot: {shot} (copy: {keep})")


@pytest.mark.parametrize("fmt", ["html"])
def test_hostile_text_is_escaped_in_the_file_itself(fmt):
    text = render(known_report(), fmt)
    assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in text
