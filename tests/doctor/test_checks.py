"""Doctor's checks one by one, over the in-memory gateway: the answers ConnectWise might
give where its behaviour is unverified (a newer API version served silently, no version
header, no Date header), and a board that cannot close a duplicate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reconciler.config import load_fleet
from reconciler.connectwise.records import SiteFacts
from reconciler.doctor import connectwise as cw
from tests.fakes.gateway import FakeGateway
from tests.served_fleet import REPO

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def facts(asked="2025.1", current="2025.1", server_time=NOW) -> SiteFacts:
    return SiteFacts("v2025_1/", asked, current, server_time)


def test_a_newer_version_served_without_complaint_is_a_warning_naming_the_site_version():
    check = cw.api_version(facts(asked="2025.1", current="2024.3"))
    assert check.status == "warn" and "the site runs 2024.3" in check.detail
    assert check.fix == 'connectwise.api_version in reconciler.yaml: "2024.3" or older'


@pytest.mark.parametrize(("asked", "current"), [("2025.1", None), ("2024.1", "2025.1"),
                                                ("2025.1", "2025.1"), ("2025.10", "2025.16")])
def test_an_accepted_version_is_ok_whatever_the_site_says_of_itself(asked, current):
    assert cw.api_version(facts(asked, current)).status == "ok"


@pytest.mark.parametrize(("offset", "lmpi", "status"), [
    (timedelta(seconds=30), True, "ok"), (timedelta(minutes=5), True, "warn"),
    (timedelta(minutes=16), True, "fail"), (-timedelta(minutes=16), True, "fail"),
    (timedelta(minutes=16), False, "warn")])
def test_clock_skew_against_the_sites_date(offset, lmpi, status):
    assert cw.clock(facts(), NOW + offset, lmpi).status == status


def test_no_date_header_skips_the_clock_check():
    assert cw.clock(facts(server_time=None), NOW, True).status == "skip"


def fake(closed: bool = True, new_inactive: bool = False) -> FakeGateway:
    gateway = FakeGateway()
    gateway.add_board(2, "Trend Micro Billing",
                      [(5, "New", False, new_inactive),
                       *([(7, "Closed", True)] if closed else [])],
                      [(3, "Trend Micro")])
    gateway.add_priority(4, "Priority 4 - Low")
    return gateway


def test_a_board_without_a_closed_status_warns_that_duplicates_cannot_be_closed():
    fleet = load_fleet(REPO)
    checks = {c.name: c for c in cw.routing(fake(closed=False), fleet)}
    check = checks["connectwise.tickets.closed_status"]
    assert check.status == "warn" and "can be marked but not closed" in check.detail
    assert "Statuses" in check.fix
    assert checks["connectwise.tickets.status"].status == "ok"
    assert {c.name: c for c in cw.routing(fake(), fleet)}[
        "connectwise.tickets.closed_status"].status == "ok"


def test_an_inactive_status_is_named():
    fleet = load_fleet(REPO)
    check = {c.name: c for c in cw.routing(fake(new_inactive=True), fleet)}[
        "connectwise.tickets.status"]
    assert check.status == "fail" and "inactive" in check.detail


def test_unbilled_products_with_a_missing_catalog_item_only_warn():
    fleet = load_fleet(REPO)
    gateway = FakeGateway()
    for n, item in enumerate(("TM-WFBSS", "TM-APEXONE", "TM-HES", "TM-EMS")):
        gateway.add_catalog_item(n + 1, item)
    billed = {p for c in fleet.customers if c.enabled for p in c.billed_products}
    checks = {c.name: c for c in cw.catalog_items(gateway, fleet)}
    assert checks["connectwise.catalog.cas"].status == ("fail" if "cas" in billed else "warn")
    assert checks["connectwise.catalog.wfbss"].status == "ok"


@pytest.mark.parametrize(("url", "status"), [
    ("https://api-na.myconnectwise.net", "ok"), ("https://cw.example.com", "ok"),
    ("https://na.myconnectwise.net", "warn"), ("https://eu.myconnectwise.net", "warn")])
def test_a_cloud_site_named_by_its_web_host_is_pointed_at_its_api_host(url, status):
    check = cw.site(url, sandbox=False)
    assert check.status == status
    if status == "warn":
        assert check.fix == ("connectwise.url in reconciler.yaml: https://api-"
                             + url.removeprefix("https://"))
