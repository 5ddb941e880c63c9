"""The sandbox's conditions parser and evaluator, operator by operator."""

from __future__ import annotations

import pytest

from reconciler.sandbox.conditions import ConditionError, evaluate, parse

REC = {
    "id": 7,
    "name": "Acme Endpoint Protection",
    "quantity": 12.5,
    "cancelledFlag": False,
    "endDate": None,
    "startDate": "2026-03-01T00:00:00Z",
    "company": {"id": 19, "identifier": "ACME", "name": "Acme Corporation"},
    "type": {"id": 2, "name": "Managed Service"},
}


def check(text: str) -> bool:
    return evaluate(parse(text), REC)


@pytest.mark.parametrize("text, expected", [
    ("id = 7", True), ("id = 8", False), ("id != 8", True), ("id < 8", True),
    ("id <= 7", True), ("id > 7", False), ("id >= 7", True), ("quantity > 12", True),
    ('name = "acme endpoint protection"', True),  # case-insensitive like SQL Server
    ("name = 'Acme Endpoint Protection'", True),  # single quotes too
    ('name like "Acme*"', True), ('name like "%Protection"', True), ('name like "Acme"', False),
    ('name like "*point*"', True), ('name not like "Acme*"', False),
    ('name contains "Endpoint"', True), ('name not contains "Endpoint"', False),
    ("id in (1, 7, 9)", True), ("id in (1, 2)", False), ("id not in (1, 2)", True),
    ('company/identifier in ("GLOBEX", "ACME")', True),
    ("cancelledFlag = false", True), ("cancelledFlag = true", False),
    ("endDate = null", True), ("endDate != null", False), ("startDate != null", True),
    ("startDate >= [2026-03-01T00:00:00Z]", True), ("startDate < [2026-03-01T00:00:00Z]", False),
    ('type/name = "Managed Service"', True), ("company/id = 19", True),
])
def test_each_operator(text, expected):
    assert check(text) is expected


def test_keywords_in_any_case():
    assert check('company/id = 19 AND name LIKE "acme*" oR id = 0')
    assert check("id NOT IN (1) And cancelledFlag = FALSE")
    assert check("endDate = NULL")


def test_and_binds_tighter_than_or():
    # false and false or true -> (false and false) or true = true
    assert check("id = 1 and id = 2 or id = 7")
    # true or true and false -> true or (true and false) = true
    assert check("id = 7 or id = 7 and id = 1")
    # with parentheses the meaning changes
    assert not check("(id = 7 or id = 7) and id = 1")


def test_not_and_nested_parentheses():
    assert check("not (id = 1)")
    assert not check("not (id = 7 and (company/id = 19 or id = 3))")
    assert check("((id = 7))")


def test_null_compares_only_with_equality():
    assert not check("endDate > 3")
    assert not check("endDate like \"*\"")


def test_unknown_field_is_refused_by_the_caller_rule():
    with pytest.raises(ConditionError) as err:
        parse("nope = 1 and id = 2", known=lambda f: f != "nope")
    assert err.value.field == "nope" and "position 0" in str(err.value)


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("id =", "expected a value at end"),
    ("id 7", "expected an operator"),
    ("id = 7 and", "expected a field name at end"),
    ('name = "open', "unterminated string"),
    ("(id = 7", "expected ')'"),
    ("id = 7)", "expected 'and', 'or' or the end"),
    ("id in 7", "expected '(' after 'in'"),
    ("startDate > [not a date]", "invalid datetime"),
    ("id = 7 # 3", "unexpected character '#'"),
    ("id not = 3", "expected 'in', 'like' or 'contains'"),
    ("name like 3", "needs a quoted string"),
])
def test_errors_say_what_and_where(text, message):
    with pytest.raises(ConditionError) as err:
        parse(text)
    assert message in str(err.value)


def test_escaped_quote_in_string():
    tree = parse(r'name = "say \"hi\""')
    assert tree.value == 'say "hi"'


def test_in_lists_use_sets_without_changing_the_answer():
    from hypothesis import given
    from hypothesis import strategies as st

    from reconciler.sandbox.conditions import Compare

    values = st.one_of(st.integers(-5, 5), st.text("aAbB", max_size=2), st.booleans(),
                       st.none())

    @given(st.lists(values, min_size=1, max_size=5), values)
    def same(items, actual):
        fast = parse("x in (" + ", ".join(_literal(v) for v in items) + ")")
        slow = Compare(fast.field, fast.op, fast.value, fast.negate, None)
        assert evaluate(fast, {"x": actual}) == evaluate(slow, {"x": actual})

    same()


def _literal(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def test_any_text_parses_or_raises_condition_error():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    words = ["and", "or", "not", "in", "like", "id", "name", "company/id", "7", "-2.5",
             "null", "true", "Z", "\\"]
    alphabet = st.sampled_from([*'()[],="\'<>!*% ', *words])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(alphabet, max_size=12).map(" ".join))
    def never_crashes(text):
        try:
            tree = parse(text)
        except ConditionError:
            return
        evaluate(tree, REC)

    never_crashes()
