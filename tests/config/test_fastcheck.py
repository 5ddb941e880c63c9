"""The compiled fast check never disagrees with jsonschema on our schemas."""
# ruff: noqa: E501

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config import schema as schemas
from reconciler.config.fastcheck import Unsupported, compile_schema

from .conftest import FLEET, REPO

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
    fast = compile_schema(schemas.schema(kind))
    for doc in EXAMPLES[kind]:
        assert fast(doc) is True


def test_the_fast_check_in_use_is_the_compiled_one() -> None:
    assert schemas.fast_check("customer").__module__ == "reconciler.config.fastcheck"


@pytest.mark.parametrize("kind", ["customer", "settings"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_check_agrees_with_jsonschema(kind: str, data) -> None:
    doc = data.draw(mutated(kind))
    assert schemas.fast_check(kind)(doc) == schemas.validator(kind).is_valid(doc)


def test_json_equality_rules() -> None:
    check = compile_schema({"enum": [1, "a"], "uniqueItems": True})
    assert check(1) and check(1.0) and not check(True)
    unique = compile_schema({"uniqueItems": True})
    assert unique([1, True]) and not unique([1, 1.0]) and not unique([{"a": [1]}, {"a": [1]}])


def test_type_is_checked_before_keywords_that_rely_on_it() -> None:
    check = compile_schema({"minimum": 1, "maxLength": 3, "type": "integer"})
    assert check(2) and not check("abc") and not check(0) and not check(True)


def test_unknown_keyword_is_refused_not_ignored() -> None:
    with pytest.raises(Unsupported):
        compile_schema({"type": "object", "dependentRequired": {"a": ["b"]}})
