"""LMPI and Email Security answers are read within a total deadline and a size cap (the
shared reconciler.net.bounded, as ConnectWise's are), over real HTTP on 127.0.0.1 against
a hostile server (tests/hostile_site.py): a trickle or an answer without end fails that
source with one clear message, in bounded time and memory; a stall is retried like a
drop, an oversized answer never (the same request would get the same answer)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from reconciler.config.model import Product
from reconciler.sources.lmpi import LmpiUsageSource
from reconciler.sources.model import SourceError
from reconciler.sources.tmems import TmemsClient
from tests.hostile_site import HUGE, HostileSite, gzip_bomb

MiB = 1024 * 1024
PRODUCTS = {"wfbss": Product("wfbss", "Worry-Free Business Security Services", "TM-WFBSS")}
START = datetime(2026, 11, 25, 10, tzinfo=UTC)


@pytest.fixture
def hostile(request) -> Iterator[HostileSite]:
    with HostileSite(request.param).serve() as site:
        yield site


def lmpi_read(site: HostileSite, **options) -> Callable[[], object]:
    source = LmpiUsageSource(site.url, PRODUCTS, token="t", secret="s",
                             sleep=lambda s: None, **options)
    return lambda: source.usage(2026, 11)


def email_security_read(site: HostileSite, **options) -> Callable[[], object]:
    client = TmemsClient(site.url, account="a", api_key="k", sleep=lambda s: None, **options)
    return lambda: client.policy_events("spam", START, START + timedelta(hours=1))


SOURCES = {
    # source: (how to read from it, how its failure begins)
    "LMPI": (lmpi_read, "LMPI 2026-11 usage report unavailable after "),
    "Email Security": (email_security_read, "Trend Micro Email Security spam logs "
                       "2026-11-25T10:00:00.000Z..2026-11-25T11:00:00.000Z unavailable after "),
}


def failing_read(read: Callable[[], object]) -> tuple[str, float, int]:
    """The message the read fails with, the seconds it took and its peak memory."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(SourceError) as failure:
            read()
        return str(failure.value), time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("hostile", ["trickle", "trickle-headers"], indirect=True)
def test_a_trickle_fails_the_source_at_the_deadline(hostile, source):
    """One byte every 50 ms, each well inside the per-read timeout: only the deadline of
    the whole exchange stops it, in the body or in the headers; retried like a drop."""
    make_read, begins = SOURCES[source]
    message, took, _ = failing_read(make_read(hostile, deadline=0.5, attempts=2))
    assert message == begins + "2 attempts: no complete answer within 0.5 s"
    assert took < 2 * 0.5 + 2.0
    assert len(hostile.api_requests) == 2


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("hostile", ["huge", "huge-declared", "gzip-bomb"], indirect=True)
def test_a_huge_answer_fails_the_source_at_the_size_cap_and_is_not_repeated(hostile, source):
    if hostile.mode == "gzip-bomb":
        gzip_bomb()  # built before the clock starts (about a second, cached)
    make_read, begins = SOURCES[source]
    message, took, peak = failing_read(make_read(hostile, max_bytes=MiB, attempts=4))
    assert message == begins + "1 attempt: the answer is larger than 1 MiB"
    assert len(hostile.api_requests) == 1
    assert peak < 8 * MiB  # a 300 MB answer, or 1 GiB once inflated: never held
    assert took < 10
    if hostile.mode != "gzip-bomb":
        assert hostile.bytes_sent < HUGE // 10
