"""Shared fakes: an instant clock and a scripted ConnectWise stand-in on MockTransport."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from reconciler.connectwise import ConnectWiseClient, Credentials

CREDS = Credentials("acme", "PUBKEY123", "s3cr3t-PRIVATE", "0b8f6c7e-1111-2222-3333-444455556666")
SITE = "https://cw.example.com"


@dataclass
class FakeTime:
    """A monotonic clock that only moves when something sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Handler = Callable[[httpx.Request], httpx.Response]


class FakeSite:
    """Answers codebase discovery, records every API request, delegates the rest."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler or (lambda request: httpx.Response(200, json={}))
        self.requests: list[httpx.Request] = []
        self.discoveries = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/login/companyinfo/"):
            self.discoveries += 1
            return httpx.Response(200, json={"Codebase": "v2025_1/", "CompanyID": "acme"})
        self.requests.append(request)
        return self.handler(request)

    @property
    def api_paths(self) -> list[str]:
        return [r.url.path.removeprefix("/v2025_1/apis/3.0") for r in self.requests]


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_client(fake_time: FakeTime) -> Callable[..., tuple[ConnectWiseClient, FakeSite]]:
    clients: list[ConnectWiseClient] = []

    def build(handler: Handler | None = None, **options: Any):
        site = FakeSite(handler)
        options.setdefault("sleep", fake_time.sleep)
        options.setdefault("clock", fake_time.clock)
        options.setdefault("rng", random.Random(7))
        client = ConnectWiseClient(
            options.pop("site_url", SITE), CREDS, transport=httpx.MockTransport(site), **options
        )
        clients.append(client)
        return client, site

    yield build
    for client in clients:
        client.close()


def script(*steps: Any) -> Handler:
    """A handler answering each request with the next step: an httpx.Response, an
    exception instance to raise, or a callable(request) -> Response; the last repeats."""
    remaining = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        step = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, httpx.Response):  # a fresh copy: a response is read once
            return httpx.Response(step.status_code, headers=step.headers, content=step.content)
        return step(request)

    return handler
