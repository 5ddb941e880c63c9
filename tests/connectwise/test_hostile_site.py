"""A hostile server over real HTTP on 127.0.0.1 (tests/hostile_site.py): whatever it does,
a read ends in one clear ConnectWiseError naming the request, within a bounded time and
memory, and the CLI exits 1 naming the read, without a traceback.

Found by an adversarial server: a trickle of one byte every 20 s hung the tool past 15
minutes (httpx's per-read timeout never fires), a Link header alternating between two
pages or endless full pages looped without end, a 300 MB answer was OOM-killed and a
1 GiB gzip bomb reached 10 GB.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator

import pytest
import yaml

from reconciler.connectwise import ConnectWiseClient, ConnectWiseError, TransportFailed
from tests.connectwise.conftest import CREDS
from tests.hostile_site import HUGE, HostileSite, gzip_bomb
from tests.served_fleet import cw_env, make_fleet, run_inprocess

MiB = 1024 * 1024


@pytest.fixture
def hostile(request) -> Iterator[HostileSite]:
    with HostileSite(request.param).serve() as site:
        yield site


def client_for(site: HostileSite, **options) -> ConnectWiseClient:
    options = {"max_retries": 0, "rate_limit_per_minute": None, "sleep": lambda s: None,
               **options}
    return ConnectWiseClient(site.url, CREDS, **options)


def read_companies(client: ConnectWiseClient) -> tuple[ConnectWiseError, float, int]:
    """The error a list read ends in, the seconds it took and the peak of memory
    allocated meanwhile (tracemalloc)."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ConnectWiseError) as failure:
            client.list("/company/companies")
        return failure.value, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        client.close()


@pytest.mark.parametrize("hostile", ["trickle", "trickle-headers"], indirect=True)
def test_a_trickle_ends_at_the_deadline(hostile):
    """One byte every 50 ms, each arriving well inside the per-read timeout (30 s):
    only the deadline of the whole exchange stops it, in the body or in the headers."""
    error, took, _ = read_companies(client_for(hostile, deadline=0.5, max_retries=1))
    assert isinstance(error, TransportFailed)
    assert str(error) == ("ConnectWise could not complete GET /company/companies "
                          "(DeadlineExceeded): no complete answer within 0.5 s "
                          "[after 2 attempts]")  # a stall is retried like a drop
    assert took < 2 * 0.5 + 2.0
    assert len(hostile.api_requests) == 2


@pytest.mark.parametrize("hostile", ["trickle"], indirect=True)
def test_a_stalled_post_is_not_repeated(hostile):
    """The deadline also bounds a write, which is not repeated: it may have landed."""
    client = client_for(hostile, deadline=0.5, max_retries=3)
    with pytest.raises(TransportFailed, match="may have reached ConnectWise"):
        client.post("/service/tickets", {"summary": "x"})
    client.close()


@pytest.mark.parametrize("hostile", ["alternating-link"], indirect=True)
def test_a_link_returning_to_an_earlier_page_is_refused(hostile):
    error, took, _ = read_companies(client_for(hostile))
    assert "unusable answer to GET /company/companies" in str(error)
    assert "returns to page" in str(error)
    assert len(hostile.api_requests) <= 3 and took < 5


@pytest.mark.parametrize("hostile", ["endless-same"], indirect=True)
def test_the_same_full_page_again_and_again_is_refused(hostile):
    error, took, _ = read_companies(client_for(hostile, page_size=50))
    assert "page 2 repeats the records of page 1" in str(error)
    assert len(hostile.api_requests) == 2 and took < 5


@pytest.mark.parametrize("hostile", ["endless-new"], indirect=True)
def test_endless_full_pages_stop_at_the_page_cap(hostile):
    error, took, _ = read_companies(client_for(hostile, page_size=10, max_pages=40))
    assert "more than 40 pages" in str(error)
    assert len(hostile.api_requests) == 40 and took < 10


@pytest.mark.parametrize("hostile", ["endless-new"], indirect=True)
def test_a_list_holds_at_most_the_size_cap_over_all_its_pages(hostile):
    error, _, _ = read_companies(client_for(hostile, page_size=1000, max_response_bytes=MiB))
    assert "the list is larger than 1 MiB" in str(error)
    assert len(hostile.api_requests) < 40


@pytest.mark.parametrize("hostile", ["huge", "huge-declared"], indirect=True)
def test_a_huge_answer_is_cut_at_the_size_cap(hostile):
    error, took, peak = read_companies(client_for(hostile, max_response_bytes=MiB,
                                                  max_retries=3))
    assert str(error) == ("ConnectWise could not complete GET /company/companies "
                          "(ResponseTooLarge): the answer is larger than 1 MiB")
    assert error.attempts == 1  # the same request gets the same answer: never repeated
    assert peak < 8 * MiB
    assert took < 10
    assert hostile.bytes_sent < HUGE // 10


@pytest.mark.parametrize("hostile", ["gzip-bomb"], indirect=True)
def test_a_gzip_bomb_is_cut_after_decompression(hostile):
    gzip_bomb()  # built before the clock starts (about a second, cached)
    error, took, peak = read_companies(client_for(hostile, max_response_bytes=MiB))
    assert "(ResponseTooLarge): the answer is larger than 1 MiB" in str(error)
    assert peak < 8 * MiB  # 1 GiB once inflated; we never hold more than the cap and a bit
    assert took < 10


# -- the CLI ---------------------------------------------------------------------------

def fleet_at(tmp_path, url: str, **connectwise) -> str:
    root = make_fleet(tmp_path / "fleet", url)
    settings = yaml.safe_load((root / "reconciler.yaml").read_text())
    settings["connectwise"].update(connectwise)
    (root / "reconciler.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return str(root)


CLI_CASES = {
    # mode: (connectwise settings, what the message says)
    "trickle": ({"request_timeout_seconds": 0.3}, "no complete answer within 0.3 s"),
    "alternating-link": ({}, "returns to page"),
    "endless-same": ({}, "repeats the records of page 1"),
    "huge": ({"max_response_mb": 2}, "the answer is larger than 2 MiB"),
    "gzip-bomb": ({"max_response_mb": 2}, "the answer is larger than 2 MiB"),
}


@pytest.mark.slow
@pytest.mark.parametrize("hostile", list(CLI_CASES), indirect=True)
def test_plan_against_a_hostile_site_exits_1_naming_the_read(hostile, tmp_path):
    settings, message = CLI_CASES[hostile.mode]
    root = fleet_at(tmp_path, hostile.url, rate_limit_per_minute=10000, **settings)
    started = time.monotonic()
    run = run_inprocess(root, ["plan"], cw_env("hostile-private-key"))
    text = run.text()
    assert run.exit_code == 1, text
    assert "GET /company/companies" in text and message in text, text
    assert "Traceback" not in text and "internal error" not in text, text
    assert "hostile-private-key" not in text
    assert time.monotonic() - started < 60
