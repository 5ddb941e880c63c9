"""Audit tests: screenshots written by the browser test are named in the session summary."""

from __future__ import annotations

import pytest

_SCREENSHOTS: list[str] = []


@pytest.fixture
def screenshots() -> list[str]:
    """Append a screenshot's path: the session summary prints it."""
    return _SCREENSHOTS


def pytest_terminal_summary(terminalreporter) -> None:
    for path in _SCREENSHOTS:
        terminalreporter.write_line(f"audit report screenshot: {path}")
