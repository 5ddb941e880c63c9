"""Identifiers that validate can always be put in a ConnectWise condition by the client."""
# ruff: noqa: E501

import pytest

from reconciler.config.identifiers import company_identifier_problem, condition_text_problem
from reconciler.connectwise.conditions import quote
from reconciler.connectwise.errors import UnsafeConditionValue

SAMPLES = ["Managed Service", "Joe's Plan", "A&B (EU) #2", "Café Nord", 'Say "hi"', "back\\slash",
           "tab\there", "en–dash", "Ω-1", "x" * 50, "emoji ☺", "a/b:c;d"]  # fmt: skip


def _quotable(value: str) -> bool:
    try:
        quote(value)
        return True
    except UnsafeConditionValue:
        return False


@pytest.mark.parametrize("value", SAMPLES)
def test_names_that_validate_are_quotable(value: str) -> None:
    if condition_text_problem(value, "name") is None:
        assert _quotable(value)


@pytest.mark.parametrize("value", ["ACME", "A&B Co.", "X_1-2", "9LIVES"])
def test_company_identifiers_that_validate_are_quotable(value: str) -> None:
    assert company_identifier_problem(value) is None and _quotable(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "company identifier is empty"),
        (" ACME", "company identifier ' ACME' must start with a letter or digit and not end with a space"),
        ("ACME'S", "company identifier \"ACME'S\" contains \"'\", which cannot be put safely into a ConnectWise condition; use letters, digits, space, '.', '_', '&' or '-'"),
    ],
)  # fmt: skip
def test_company_identifier_problems(value: str, expected: str) -> None:
    assert company_identifier_problem(value) == expected
