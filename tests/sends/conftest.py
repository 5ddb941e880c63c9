"""Fixtures for send tests: usage and detection files, the sandbox, a gateway to it and a
raw client (to set up and inspect the sandbox)."""

from datetime import date

import pytest

from tests.sends import world


@pytest.fixture
def data(tmp_path):
    """Usage for 2026-09..2026-12 and daily detections for the same span."""
    for month in (9, 10, 11, 12):
        world.write_usage(tmp_path, 2026, month)
    world.write_detections(tmp_path, date(2026, 9, 1), date(2026, 12, 31))
    return tmp_path


@pytest.fixture
def app():
    return world.app()


@pytest.fixture
def client(app):
    return world.client(app)


@pytest.fixture
def gateway(app):
    return world.gateway(app)
