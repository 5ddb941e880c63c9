"""Lists: paging with Link headers, forward-only paging, count, orderBy, fields, conditions."""

from __future__ import annotations

import re

import pytest

from reconciler.sandbox import create_app
from tests.sandbox.conftest import NOW, make_client, tiny_seed


@pytest.fixture
def many():
    app = create_app(seed=tiny_seed(companies=60), clock=lambda: NOW)
    with make_client(app) as c:
        yield c


def rels(response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]*)>; rel="(\w+)"',
                                                response.headers["Link"])}


def test_default_page_size_is_25_and_links_keep_page_last(many):
    r = many.get("company/companies", params={"conditions": "id > 0"})
    assert r.status_code == 200 and len(r.json()) == 25
    links = rels(r)
    assert set(links) == {"first", "next", "last"}
    for url in links.values():
        assert re.search(r"[?&]page=\d+$", url), url
        assert "conditions=id%20%3E%200" in url
    assert links["next"].endswith("page=2") and links["last"].endswith("page=3")


def test_middle_page_has_prev_and_next(many):
    links = rels(many.get("company/companies", params={"page": 2, "pageSize": 10}))
    assert set(links) == {"first", "prev", "next", "last"}
    assert links["prev"].endswith("page=1") and links["last"].endswith("page=6")
    assert "pageSize=10" in links["next"]


def test_last_page_has_no_next(many):
    r = many.get("company/companies", params={"page": 3, "pageSize": 25})
    assert [c["id"] for c in r.json()] == list(range(51, 61))
    assert "next" not in rels(r)


def test_page_past_the_end_is_an_empty_list(many):
    r = many.get("company/companies", params={"page": 99})
    assert r.status_code == 200 and r.json() == []
    assert "next" not in rels(r)


def test_page_size_above_1000_is_clamped():
    app = create_app(seed=tiny_seed(companies=1005), clock=lambda: NOW)
    with make_client(app) as c:
        r = c.get("company/companies", params={"pageSize": 5000})
        assert len(r.json()) == 1000
        assert rels(r)["last"].endswith("page=2")


def test_empty_result(many):
    r = many.get("company/companies", params={"conditions": 'identifier = "NOPE"'})
    assert r.status_code == 200 and r.json() == []
    assert many.get("company/companies/count",
                    params={"conditions": 'identifier = "NOPE"'}).json() == {"count": 0}


def test_count_takes_the_same_conditions(many):
    r = many.get("company/companies/count", params={"conditions": "id <= 10"})
    assert r.json() == {"count": 10}


def test_bad_page_number_is_400(many):
    r = many.get("company/companies", params={"page": "two"})
    assert r.status_code == 400 and r.json()["code"] == "InvalidObject"


def test_forward_only_paging_follows_page_id(many):
    headers = {"pagination-type": "forward-only"}
    seen, url, params = [], "company/companies", {"pageSize": 25}
    while True:
        r = many.get(url, params=params, headers=headers)
        seen += [c["id"] for c in r.json()]
        link = r.headers.get("Link")
        if not link:
            break
        next_url = rels(r)["next"]
        assert re.search(r"pageId=\d+$", next_url)
        url, params = next_url, None
    assert seen == list(range(1, 61))


def test_forward_only_refuses_order_by(many):
    r = many.get("company/companies", params={"orderBy": "name desc"},
                 headers={"pagination-type": "forward-only"})
    assert r.status_code == 400


def test_order_by_several_keys(client):
    r = client.get("finance/agreements",
                   params={"orderBy": "company/identifier desc, id asc", "pageSize": 1000})
    keys = [(a["company"]["identifier"], a["id"]) for a in r.json()]
    companies = [c for c, _ in keys]
    assert companies == sorted(companies, reverse=True) and companies[0] == "WAYNE"
    stark = [i for c, i in keys if c == "STARK"]
    assert stark == [111, 112, 113]


def test_order_by_unknown_field_is_400(client):
    r = client.get("company/companies", params={"orderBy": "nope asc"})
    assert r.status_code == 400


def test_fields_projection_with_nested_paths(client):
    r = client.get("finance/agreements", params={"fields": "id,name,company/identifier",
                                                 "conditions": "id = 101"})
    assert r.json() == [{"id": 101, "name": "ACME Trend Micro Services",
                         "company": {"identifier": "ACME"}}]


def test_unknown_condition_field_is_a_connectwise_400(client):
    r = client.get("company/companies", params={"conditions": "colour = 1"})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "InvalidObject" and body["errors"][0]["field"] == "colour"


def test_nested_unknown_reference_field_is_400(client):
    r = client.get("finance/agreements", params={"conditions": "company/colour = 1"})
    assert r.status_code == 400


def test_conditions_over_nested_fields_and_in_lists(client):
    r = client.get("finance/agreements", params={
        "conditions": '(company/identifier in ("STARK","WAYNE")) and agreementStatus = "Active"'
                      ' and cancelledFlag = false', "fields": "id"})
    assert sorted(a["id"] for a in r.json()) == [111, 114, 115]


def test_additions_conditions_over_product_and_dates(client):
    r = client.get("finance/agreements/104/additions", params={
        "conditions": 'product/identifier like "TM-*" and cancelledDate = null '
                      "and effectiveDate < [2025-01-01T00:00:00Z]"})
    assert [a["id"] for a in r.json()] == [1004]


def test_ticket_search_takes_conditions_in_a_json_body(client):
    r = client.post("service/tickets/search", json={"conditions": 'company/identifier = "ACME"'},
                    params={"pageSize": 10})
    assert r.status_code == 200 and [t["id"] for t in r.json()] == [5001]
    assert "Link" in r.headers


def test_query_parameter_names_are_case_insensitive(many):
    assert len(many.get("company/companies", params={"pagesize": 5}).json()) == 5


def test_non_positive_page_and_size_fall_back(many):
    # Unconfirmed on ConnectWise: the sandbox takes page < 1 as 1 and size < 1 as 25.
    r = many.get("company/companies", params={"page": 0, "pageSize": 0})
    assert [c["id"] for c in r.json()] == list(range(1, 26))


def test_single_page_links_first_and_last_only(client):
    r = client.get("finance/agreements/types")
    assert set(rels(r)) == {"first", "last"} and rels(r)["last"].endswith("page=1")
