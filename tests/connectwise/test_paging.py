import httpx

from reconciler.connectwise.paging import next_url, parse_link_header


def test_parses_every_rel():
    header = (
        '<https://h/a?pageSize=2&page=1>; rel="first", <https://h/a?pageSize=2&page=1>; '
        'rel="prev", <https://h/a?pageSize=2&page=3>; rel="next", '
        '<https://h/a?pageSize=2&page=9>; rel="last"'
    )
    links = parse_link_header(header)
    assert links == {
        "first": "https://h/a?pageSize=2&page=1",
        "prev": "https://h/a?pageSize=2&page=1",
        "next": "https://h/a?pageSize=2&page=3",
        "last": "https://h/a?pageSize=2&page=9",
    }


def test_commas_inside_urls_and_odd_spacing():
    header = (
        '<https://h/a?conditions=id in (1, 2)&page=2> ;rel=next,<https://h/a?page=5>;REL="last"'
    )
    links = parse_link_header(header)
    assert links["next"] == "https://h/a?conditions=id in (1, 2)&page=2"
    assert links["last"] == "https://h/a?page=5"


def test_multiple_rels_in_one_link_and_empty_headers():
    assert parse_link_header('<https://h/x>; rel="next last"') == {
        "next": "https://h/x",
        "last": "https://h/x",
    }
    assert parse_link_header("") == {}
    assert parse_link_header(None) == {}
    assert parse_link_header("<https://h/x>; title=no-rel") == {}


def test_next_url_resolves_relative_links():
    request = httpx.Request("GET", "https://h/v4_6_release/apis/3.0/company/companies?page=1")
    response = httpx.Response(
        200,
        headers={"Link": '</v4_6_release/apis/3.0/company/companies?page=2>; rel="next"'},
        request=request,
    )
    assert next_url(response) == httpx.URL(
        "https://h/v4_6_release/apis/3.0/company/companies?page=2"
    )
    assert next_url(httpx.Response(200, request=request)) is None
