"""tests/required_tools.need: a missing tool skips, or fails when tools are required."""

import pytest

from tests.required_tools import REQUIRE_ENV, need


def test_a_present_tool_changes_nothing(monkeypatch):
    monkeypatch.setenv(REQUIRE_ENV, "1")
    need("node", None)


def test_a_missing_tool_skips_with_the_reason(monkeypatch):
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="node is not available: not on PATH"):
        need("node", "not on PATH")


def test_a_missing_tool_fails_when_tools_are_required(monkeypatch):
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="node is not available: not on PATH"):
        need("node", "not on PATH")
