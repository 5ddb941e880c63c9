"""The fast pre-check (jsonschema-rs) never calls valid what jsonschema, the authority,
calls invalid: a "yes" skips jsonschema entirely, so it must be right."""
# ruff: noqa: E501

from __future__ import annotations

import copy
from datetime import date

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config import schema as schemas
from tests.config.conftest import FLEET, REPO

EXAMPLES = {
    "customer": [yaml.safe_load(p.read_text()) for p in sorted((REPO / "customers").glob("*.yaml"))]
    + [yaml.safe_load(p.read_text()) for p in sorted((FLEET / "customers").glob("*.yaml"))],
    "settings": [yaml.safe_load((REPO / "reconciler.yaml").read_text()),
                 yaml.safe_load((FLEET / "reconciler.yaml").read_text())],
}  # fmt: skip

# Values that probe the edges of JSON Schema's type rules and of our enums and patterns.
TRICKY = st.sampled_from(
    [True, False, 0, 1, 1.0, 1.5, 31, 32, -1, None, "", " ", "default", "global", "custom",
     "enabled", "week", "advanced", "spam", "wfbss", "ACME", 'A"B', "a" * 31, "06:00", "24:00",
     [], [1, True], ["spam", "spam"], {}, {"type": "x", "name": "y"}, {"type": "x"}]
)  # fmt: skip
VALUES = st.recursive(
    TRICKY | st.text(max_size=8) | st.integers(-3, 40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


@st.composite
def mutated(draw, kind: str):
    doc = copy.deepcopy(draw(st.sampled_from(EXAMPLES[kind])))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = copy.deepcopy(draw(VALUES))
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "name", "day", "custom", "type"]))] = copy.deepcopy(draw(VALUES))
        else:
            parent.append(copy.deepcopy(draw(VALUES)))
    return doc


@pytest.mark.parametrize("kind", ["customer", "settings"])
def test_examples_are_valid_for_both(kind: str) -> None:
    for doc in EXAMPLES[kind]:
        assert schemas.fast_check(kind)(doc) is True
        assert schemas.validator(kind).is_valid(doc)


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


@pytest.mark.parametrize("kind", ["customer", "settings"])
@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_check_never_calls_valid_what_jsonschema_calls_invalid(kind: str, data) -> None:
    doc = data.draw(mutated(kind))
    if schemas.fast_check(kind)(doc):
        assert schemas.validator(kind).is_valid(doc), doc


@pytest.mark.parametrize("kind", ["customer", "settings"])
@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_check_says_yes_to_what_jsonschema_calls_valid(kind: str, data) -> None:
    """The other way round, so that the pre-check is worth having (one always saying no
    would pass the test above). One known difference, on the safe side: Python's `$`
    matches before a final newline and the Rust regex's does not, so a string ending in
    one gets jsonschema's full check."""
    doc = data.draw(mutated(kind))
    if schemas.validator(kind).is_valid(doc) and not any(
            text.endswith("\n") for text in _strings(doc)):
        assert schemas.fast_check(kind)(doc), doc


def test_a_final_newline_is_the_known_safe_difference() -> None:
    doc = copy.deepcopy(EXAMPLES["customer"][0])
    doc["connectwise"]["company"] = "ACME\n"
    assert schemas.fast_check("customer")(doc) is False
    assert schemas.validator("customer").is_valid(doc)  # jsonschema decides, as before


@pytest.mark.parametrize(
    "value", [date(2026, 1, 1), b"bytes", {1: "integer key"}, {"a": {2: "deep"}}, 10**30]
)
def test_data_that_is_not_json_goes_to_jsonschema(value) -> None:
    """YAML can hold dates, binary and non-string keys: the pre-check says no (never
    raises), and jsonschema's located messages take over."""
    doc = copy.deepcopy(EXAMPLES["customer"][0])
    doc["name"] = value
    assert schemas.fast_check("customer")(doc) is False
    assert not schemas.validator("customer").is_valid(doc)


def test_json_equality_rules_are_jsonschemas() -> None:
    """1 == 1.0 but not True, for enum and uniqueItems, as in jsonschema."""
    settings_doc = copy.deepcopy(EXAMPLES["settings"][0])
    for day, valid in ((5, True), (5.0, True), (True, False), (5.5, False)):
        settings_doc["notifications"]["billing"]["day"] = day
        assert schemas.fast_check("settings")(settings_doc) is valid
        assert schemas.validator("settings").is_valid(settings_doc) is valid
