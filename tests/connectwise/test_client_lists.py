"""Paging (navigable and forward-only), list parameters and `in (...)` chunking (the
chunked reads themselves are the gateway's: test_gateway_http.py)."""

import re

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.connectwise import ConnectWiseError, UnsafeConditionValue

RECORDS = [{"id": i, "identifier": f"C{i:04d}"} for i in range(1, 2346)]


def navigable(records=RECORDS, link=True):
    def handler(request):
        page = int(request.url.params.get("page", "1"))
        size = int(request.url.params["pageSize"])
        chunk = records[(page - 1) * size : page * size]
        headers = {}
        if link:
            rels = [f'<{request.url.copy_set_param("page", 1)}>; rel="first"']
            if page * size < len(records):
                rels.append(
                    f'<{request.url.copy_remove_param("page")}&page={page + 1}>; rel="next"'
                )
            headers["Link"] = ", ".join(rels)
        return httpx.Response(200, json=chunk, headers=headers)

    return handler


def forward_only(request):
    assert request.headers["pagination-type"] == "forward-only"
    after = int(request.url.params.get("pageId", "0"))
    size = int(request.url.params["pageSize"])
    chunk = [r for r in RECORDS if r["id"] > after][:size]
    headers = {}
    if chunk and chunk[-1]["id"] < RECORDS[-1]["id"]:
        headers["Link"] = f'<{request.url.copy_set_param("pageId", chunk[-1]["id"])}>; rel="next"'
    return httpx.Response(200, json=chunk, headers=headers)


def test_navigable_paging_follows_next_links_with_page_size_1000(make_client):
    client, site = make_client(navigable())
    records = client.list(
        "/company/companies",
        conditions="deletedFlag = false",
        fields=["id", "identifier"],
        order_by="id asc",
    )
    assert records == RECORDS
    assert len(site.requests) == 3
    first = site.requests[0].url.params
    assert first["pageSize"] == "1000" and first["page"] == "1"
    assert first["conditions"] == "deletedFlag = false"
    assert first["fields"] == "id,identifier" and first["orderBy"] == "id asc"
    assert [r.url.params["page"] for r in site.requests] == ["1", "2", "3"]
    assert site.requests[2].url.params["conditions"] == "deletedFlag = false"


def test_iter_list_is_lazy(make_client):
    client, site = make_client(navigable())
    iterator = client.iter_list("/company/companies", page_size=10)
    assert [next(iterator) for _ in range(10)] == RECORDS[:10]
    assert len(site.requests) == 1


def test_page_size_is_capped_at_1000(make_client):
    client, site = make_client(navigable(), page_size=5000)
    client.list("/company/companies")
    assert site.requests[0].url.params["pageSize"] == "1000"


def test_forward_only_paging(make_client):
    client, site = make_client(forward_only)
    assert client.list("/company/companies", forward_only=True, page_size=500) == RECORDS
    assert len(site.requests) == 5
    assert "page" not in site.requests[0].url.params
    assert [r.url.params.get("pageId") for r in site.requests] == [
        None,
        "500",
        "1000",
        "1500",
        "2000",
    ]
    with pytest.raises(ValueError, match="ordered by id"):
        client.list("/company/companies", forward_only=True, order_by="name")


def test_without_any_link_header_a_full_page_asks_for_the_next(make_client):
    client, site = make_client(navigable(link=False))
    assert client.list("/company/companies") == RECORDS
    assert [r.url.params["page"] for r in site.requests] == ["1", "2", "3"]


def test_an_empty_page_ends_the_listing(make_client):
    client, site = make_client(
        lambda r: httpx.Response(
            200, json=[], headers={"Link": '<https://cw.example.com/x?page=2>; rel="next"'}
        )
    )
    assert client.list("/company/companies") == []
    assert len(site.requests) == 1


def test_a_next_link_to_another_host_is_refused(make_client):
    client, site = make_client(
        lambda r: httpx.Response(
            200, json=[{"id": 1}], headers={"Link": '<https://evil.example/x?page=2>; rel="next"'}
        )
    )
    with pytest.raises(ConnectWiseError, match="another host"):
        client.list("/company/companies")
    assert len(site.requests) == 1


def test_a_next_link_to_the_same_page_is_refused(make_client):
    def handler(request):
        return httpx.Response(
            200, json=[{"id": 1}], headers={"Link": f'<{request.url}>; rel="next"'}
        )

    client, _ = make_client(handler)
    with pytest.raises(ConnectWiseError, match="returns to page 1"):
        client.list("/company/companies")


def test_a_non_list_answer_is_an_error(make_client):
    client, _ = make_client(lambda r: httpx.Response(200, json={"id": 1}))
    with pytest.raises(ConnectWiseError, match="expected a list"):
        client.list("/company/companies")


def test_in_chunks_counts_encoded_characters(make_client):
    client, _ = make_client()
    # Non-ASCII values grow six-fold when percent-encoded: chunks must account for it.
    values = [f"Société-{i}-éééé" for i in range(400)]
    chunks = client.in_chunks("/company/companies", "name", values)
    assert sum(c.count('"') // 2 for c in chunks) == 400
    for condition in chunks:
        url = httpx.URL(
            client.url("/company/companies"),
            params={"conditions": condition, "pageSize": 1000, "page": 99999},
        )
        assert len(str(url)) < 2000


def test_each_chunk_names_the_values_it_carries(make_client):
    # what a failed request asked for (a partial bulk read fails only those customers)
    client, _ = make_client()
    values = [f"C{i:04d}" for i in range(600)] + ["C0001"]  # a repeat is carried once
    chunks = client.in_chunks_of("/company/companies", "identifier", values)
    assert len(chunks) > 1
    assert [v for _, carried in chunks for v in carried] == values[:600]
    for condition, carried in chunks:
        assert condition == "identifier in (" + ", ".join(f'"{v}"' for v in carried) + ")"
    assert [c for c, _ in chunks] == client.in_chunks("/company/companies", "identifier", values)


def test_in_chunks_refuses_unsafe_values_and_oversized_ones(make_client):
    client, _ = make_client()
    with pytest.raises(UnsafeConditionValue):
        client.in_chunks("/company/companies", "identifier", ["ok", 'x" or 1=1 or "'])
    with pytest.raises(UnsafeConditionValue, match="over 2000"):
        client.in_chunks("/company/companies", "identifier", ["x" * 3000])
    with pytest.raises(UnsafeConditionValue, match="field name"):
        client.in_chunks("/company/companies", "identifier) or (1", ["x"])


SAFE_TEXT = st.text(alphabet=st.sampled_from("abcXYZ019 -_.&'()é中"), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(SAFE_TEXT, max_size=300), extra=st.booleans())
def test_in_chunks_property(values, extra):
    import random as _random

    from reconciler.connectwise import ConnectWiseClient
    from tests.connectwise.conftest import CREDS, FakeSite

    client = ConnectWiseClient(
        "https://cw.example.com",
        CREDS,
        codebase="v2025_1",
        transport=httpx.MockTransport(FakeSite()),
        rng=_random.Random(1),
    )
    base = "deletedFlag = false" if extra else None
    chunks = client.in_chunks("/company/companies", "name", values, conditions=base, fields="id")
    seen = []
    for condition in chunks:
        url = httpx.URL(
            client.url("/company/companies"),
            params={"conditions": condition, "fields": "id", "pageSize": 1000, "page": 99999},
        )
        assert len(str(url)) < 2000
        seen += re.findall(r'"([^"]*)"', condition[condition.index(" in (") :])
    assert seen == list(dict.fromkeys(values))
