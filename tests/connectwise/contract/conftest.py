"""Every Gateway implementation, on the same world, for the contract suite.

Implementations: the in-memory fake, `HttpGateway` over the sandbox in process, and
`HttpGateway` over the sandbox served on 127.0.0.1. Each test gets a fresh world (the
packaged sandbox seed). The read-only tests (test_reads.py) only read and ask what they
expect of `world` (world.py); the write tests (test_writes.py) change the world they run
on.

With RECONCILER_CONTRACT_SITE set (site_world.py lists the variables), a fourth
implementation runs the read tests against that real ConnectWise site, and the write
tests too only with RECONCILER_CONTRACT_WRITES=1, on the test company it names.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler.connectwise import ConnectWiseClient, Credentials
from reconciler.connectwise.gateway import Gateway, HttpGateway
from reconciler.errors import ReconcilerError
from reconciler.sandbox import create_app, serve, transport
from tests.connectwise.contract import site_world
from tests.connectwise.contract.world import World, seed_world
from tests.fakes.seeded import fake_from_seed

CREDS = Credentials("sandbox", "sandbox-public", "sandbox-private",
                    "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42")
SEEDED = ("fake", "sandbox-in-process", "sandbox-served")
REAL = "real-site"


def pytest_generate_tests(metafunc) -> None:
    """The implementations a test runs on: the seeded ones always; the real site for the
    read tests when it is configured, for the write tests only when writes are allowed."""
    if "implementation" not in metafunc.fixturenames:
        return
    writes = metafunc.module.__name__.endswith("test_writes")
    real = site_world.writes_enabled() if writes else site_world.enabled()
    metafunc.parametrize("implementation", [*SEEDED, *([REAL] if real else [])],
                         indirect=True)


@pytest.fixture
def implementation(request) -> str:
    return request.param


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


class CleaningUp:
    """A real site's gateway for the write tests: whatever they create is undone as far
    as the API member may (additions cancelled, tickets closed) when the test ends."""

    def __init__(self, inner: HttpGateway) -> None:
        self.inner = inner
        self.made_additions: list[tuple[int, int]] = []
        self.made_tickets: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def create_addition(self, agreement_id, new):
        created = self.inner.create_addition(agreement_id, new)
        self.made_additions.append((agreement_id, created.id))
        return created

    def create_ticket(self, new):
        created = self.inner.create_ticket(new)
        self.made_tickets.append(created)
        return created

    def clean_up(self) -> list[str]:
        problems = []
        today = datetime.now(UTC).date()
        for agreement_id, addition_id in self.made_additions:
            try:
                self.inner.cancel_addition(agreement_id, addition_id, today)
            except ReconcilerError as exc:
                problems.append(f"addition {addition_id}: {exc}")
        for ticket in self.made_tickets:
            try:
                [read] = [t for t in self.inner.tickets(keys=[ticket.key]).records
                          if t.id == ticket.id]
                self.inner.close_ticket(read)
            except (ReconcilerError, ValueError) as exc:
                problems.append(f"ticket #{ticket.id}: {exc}")
        return problems


@pytest.fixture(scope="session")
def real_world() -> Iterator[World]:
    with site_world.client() as cw:
        yield site_world.site_world(cw)


@pytest.fixture
def gateway(request, implementation) -> Iterator[Gateway]:
    if implementation == "fake":
        yield fake_from_seed()
        return
    if implementation == REAL:
        with HttpGateway(site_world.client()) as real:
            cleaning = CleaningUp(real)
            yield cleaning
            problems = cleaning.clean_up()
        assert not problems, "could not undo what the test created: " + "; ".join(problems)
        return
    app = create_app(seed=None)
    if implementation == "sandbox-in-process":
        client = _client("http://127.0.0.1", transport=transport(app))
    else:
        current, url = request.getfixturevalue("served_sandbox")
        current.app = app
        client = _client(url)
    with HttpGateway(client) as gateway:
        yield gateway


@pytest.fixture
def world(request, implementation) -> World:
    if implementation == REAL:
        return request.getfixturevalue("real_world")
    return seed_world()
