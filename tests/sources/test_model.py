"""LoadedOnce: what a source loads is loaded once per key, failures included, even when
customers running in parallel ask at the same time."""

import threading

import pytest

from reconciler.sources.model import LoadedOnce, SourceError


def test_each_key_is_loaded_once_and_a_failure_is_kept():
    calls = []

    def load(year, month):
        calls.append((year, month))
        if month == 13:
            raise SourceError("no such month")
        return f"{year}-{month:02d}"

    months = LoadedOnce(load)
    assert months(2026, 11) == months(2026, 11) == "2026-11"
    for _ in range(2):
        with pytest.raises(SourceError, match="no such month"):
            months(2026, 13)
    assert calls == [(2026, 11), (2026, 13)]


def test_a_second_caller_waits_for_the_first_load_instead_of_loading_again():
    calls = []
    loading, release = threading.Event(), threading.Event()

    def load():
        calls.append(threading.current_thread().name)
        loading.set()
        assert release.wait(timeout=30)
        return "report"

    names = LoadedOnce(load)
    got = {}

    def ask(who):
        got[who] = names()

    first = threading.Thread(target=ask, args=("first",), name="first")
    first.start()
    assert loading.wait(timeout=30)  # the first load is under way
    second = threading.Thread(target=ask, args=("second",), name="second")
    second.start()
    second.join(timeout=0.2)  # let it reach the source while the first load is held
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not first.is_alive() and not second.is_alive()
    assert got == {"first": "report", "second": "report"}
    assert calls == ["first"]
