"""Fixtures of the end-to-end tests (helpers live in e2e_support.py)."""

from tests.e2e.e2e_support import root  # noqa: F401  (the fixture, re-exported for pytest)
