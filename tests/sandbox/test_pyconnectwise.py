"""A real third-party client, pyconnectwise, against the served sandbox, unchanged except
for the URL scheme (it hard-codes https://; the sandbox serves plain HTTP on loopback).
pyconnectwise is part of the test extra in pyproject.toml, so this never skips."""

from __future__ import annotations

import pyconnectwise
import pytest

from reconciler.sandbox import create_app, serve
from tests.sandbox.conftest import CLIENT_ID, NOW

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # its pydantic models


class LoopbackClient(pyconnectwise.ConnectWiseManageAPIClient):
    def _get_url(self) -> str:
        return super()._get_url().replace("https://", "http://", 1)

    def _try_get_codebase_from_api(self, manage_url, company_name, headers):
        url = f"http://{manage_url}/login/companyinfo/{company_name}"
        return self._make_request("GET", url, headers=headers).json().get("Codebase")


@pytest.fixture(scope="module")
def cw():
    app = create_app(clock=lambda: NOW)
    with serve(app) as url:
        yield LoopbackClient("sandbox", url.removeprefix("http://"), CLIENT_ID,
                             "sandbox-public", "sandbox-private")


def test_codebase_discovery(cw):
    assert cw.codebase == "v4_6_release/"


def test_pages_through_link_headers_with_conditions(cw):
    pages = cw.company.companies.paginated(
        1, 4, params={"conditions": 'deletedFlag = false and identifier like "%E%"'})
    identifiers = [c.identifier for c in pages.all()]
    assert len(identifiers) == 11 and "SOYLENT" not in identifiers and "ACME" in identifiers


def test_count_and_models_parse(cw):
    assert cw.company.companies.count.get(params={"conditions": "deletedFlag = true"}).count == 1
    additions = cw.finance.agreements.id(104).additions.get(params={"pageSize": 1000})
    assert [(a.id, a.product.identifier) for a in additions][:2] == [
        (1004, "TM-WFBSS"), (1005, "TM-APEXONE")]
    assert cw.system.info.get().is_cloud is False
    assert [s.name for s in cw.service.boards.id(2).statuses.get()] == [
        "New", "In Progress", "Closed"]


def test_writes_and_search(cw):
    created = cw.finance.agreements.id(102).additions.post(data={
        "product": {"identifier": "TM-CAS"}, "billCustomer": "Billable", "quantity": 7})
    assert created.quantity == 7 and created.agreement_id == 102
    patched = cw.finance.agreements.id(102).additions.id(created.id).patch(data=[
        {"op": "replace", "path": "quantity", "value": 9}])
    assert patched.quantity == 9
    found = cw.service.tickets.search.post(data={"conditions": 'company/identifier = "GLOBEX"'})
    assert [t.id for t in found] == [5002]


def test_errors_map_to_its_exceptions(cw):
    from pyconnectwise.exceptions import MalformedRequestException, NotFoundException

    with pytest.raises(NotFoundException):
        cw.company.companies.id(999999).get()
    with pytest.raises(MalformedRequestException):
        cw.finance.agreements.id(102).additions.post(data={"billCustomer": "Billable"})
