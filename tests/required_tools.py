"""Test tools that `make test` requires (contract 3).

`need(tool, missing_reason)` is called by a test that cannot run without `tool`: with
`missing_reason` None the tool is there and the test goes on; otherwise the test is
skipped with the reason, or FAILS when the environment has RECONCILER_REQUIRE_TOOLS=1
(`make test` exports it and installs every tool), so CI can never pass by skipping.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_ENV = "RECONCILER_REQUIRE_TOOLS"


def need(tool: str, missing_reason: str | None) -> None:
    """Skip (or, under RECONCILER_REQUIRE_TOOLS=1, fail) when `tool` is missing."""
    if missing_reason is None:
        return
    message = f"{tool} is not available: {missing_reason}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} (required: {REQUIRE_ENV}=1; `make test` installs it)")
    pytest.skip(message)
