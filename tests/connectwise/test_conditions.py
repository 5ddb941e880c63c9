from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.connectwise import UnsafeConditionValue
from reconciler.connectwise import conditions as c


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("ACME", '"ACME"'),
        ("O'Brien & Sons (UK) Ltd.", '"O\'Brien & Sons (UK) Ltd."'),
        ("Société Générale", '"Société Générale"'),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (-3, "-3"),
        (2.5, "2.5"),
        (None, "null"),
        (datetime(2026, 11, 1, tzinfo=UTC), "[2026-11-01T00:00:00Z]"),
        (
            datetime(2026, 11, 1, 2, 30, tzinfo=timezone(timedelta(hours=2))),
            "[2026-11-01T00:30:00Z]",
        ),
        (date(2026, 2, 28), "[2026-02-28T00:00:00Z]"),
    ],
)
def test_quote(value, literal):
    assert c.quote(value) == literal


@pytest.mark.parametrize(
    "value",
    [
        'say "hi"',
        "back\\slash",
        "line\nbreak",
        "tab\there",
        "nul\x00",
        "bell\x07",
        "zero\u200bwidth",
        "trade™",
        float("nan"),
        float("inf"),
        1e300,
        datetime(2026, 11, 1),  # naive: which zone?
        b"bytes",
        ["list"],
    ],
)
def test_quote_refuses_what_it_cannot_quote_safely(value):
    with pytest.raises(UnsafeConditionValue):
        c.quote(value)


@given(st.text())
def test_quote_never_lets_a_quote_or_backslash_through(text):
    try:
        literal = c.quote(text)
    except UnsafeConditionValue:
        assert any(not (ch.isalnum() or ch in " !#$%&'()*+,-./:;<=>?@[]^_`{|}~") for ch in text)
        return
    assert literal == f'"{text}"'
    inner = literal[1:-1]
    assert '"' not in inner and "\\" not in inner
    assert all(ch.isprintable() for ch in inner)


def test_comparisons():
    assert c.eq("identifier", "ACME") == 'identifier = "ACME"'
    assert c.ne("company/id", 5) == "company/id != 5"
    assert c.lt("id", 3) == "id < 3"
    assert c.le("id", 3) == "id <= 3"
    assert c.gt("lastUpdated", date(2026, 1, 2)) == "lastUpdated > [2026-01-02T00:00:00Z]"
    assert c.ge("quantity", 0) == "quantity >= 0"
    assert c.eq("cancelledDate", None) == "cancelledDate = null"
    assert c.like("name", "Acme*") == 'name like "Acme*"'
    assert c.not_like("name", "%test%") == 'name not like "%test%"'
    assert c.contains("summary", "tmrm:") == 'summary contains "tmrm:"'


def test_text_operators_need_strings():
    with pytest.raises(UnsafeConditionValue):
        c.like("name", 5)


def test_in_and_not_in():
    assert c.in_("identifier", ["A", "B"]) == 'identifier in ("A", "B")'
    assert c.in_("company/id", (1, 2, 3)) == "company/id in (1, 2, 3)"
    assert c.not_in("agreementStatus", ["Cancelled"]) == 'agreementStatus not in ("Cancelled")'
    with pytest.raises(UnsafeConditionValue, match="at least one"):
        c.in_("id", [])
    with pytest.raises(UnsafeConditionValue):
        c.in_("identifier", ["ok", 'bad"'])


def test_and_or_parenthesise_and_skip_empty_parts():
    a, b = c.eq("a", 1), c.or_(c.eq("b", 2), c.eq("b", 3))
    assert b == "(b = 2) or (b = 3)"
    assert c.and_(a, b) == "(a = 1) and ((b = 2) or (b = 3))"
    assert c.and_(None, a, "") == "a = 1"
    assert c.and_() == ""


@pytest.mark.parametrize(
    "name", ["", "1abc", "a b", "a/", "/a", "a//b", "a=1", "name) or (1", "a.b", "ä"]
)
def test_field_names_are_validated(name):
    with pytest.raises(UnsafeConditionValue, match="field name"):
        c.eq(name, 1)


def test_nested_field_names_are_fine():
    assert c.eq("type/name", "Managed Service") == 'type/name = "Managed Service"'
    assert c.field("_info/lastUpdated") == "_info/lastUpdated"
