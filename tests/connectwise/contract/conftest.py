"""Every Gateway implementation, on the same world, for the contract suite.

Implementations: the in-memory fake, `HttpGateway` over the sandbox in process, and
`HttpGateway` over the sandbox served on 127.0.0.1. Each test gets a fresh world (the
packaged sandbox seed). The read-only tests (test_reads.py) only read and ask what they
expect of `world` (world.py), so pointing them at a real site takes a gateway and a
World for it; the write tests (test_writes.py) change the world they run on.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from reconciler.connectwise import ConnectWiseClient, Credentials
from reconciler.connectwise.gateway import Gateway, HttpGateway
from reconciler.sandbox import create_app, serve, transport
from tests.connectwise.contract.world import World, seed_world
from tests.fakes.seeded import fake_from_seed

CREDS = Credentials("sandbox", "sandbox-public", "sandbox-private",
                    "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42")
IMPLEMENTATIONS = ("fake", "sandbox-in-process", "sandbox-served")


class Current:
    """A WSGI app forwarding to the test's own sandbox: one loopback server (slow to shut
    down) serves the whole suite while each test gets fresh state."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def served_sandbox() -> Iterator[tuple[Current, str]]:
    current = Current()
    with serve(current) as url:
        yield current, url


def _client(site: str, **options) -> ConnectWiseClient:
    return ConnectWiseClient(site, CREDS, rate_limit_per_minute=None, sleep=lambda s: None,
                             rng=random.Random(7), **options)


@pytest.fixture(params=IMPLEMENTATIONS)
def gateway(request) -> Iterator[Gateway]:
    if request.param == "fake":
        yield fake_from_seed()
        return
    app = create_app(seed=None)
    if request.param == "sandbox-in-process":
        client = _client("http://127.0.0.1", transport=transport(app))
    else:
        current, url = request.getfixturevalue("served_sandbox")
        current.app = app
        client = _client(url)
    with HttpGateway(client) as gateway:
        yield gateway


@pytest.fixture
def world() -> World:
    return seed_world()
