"""The collected day files: readable, replaced whole per slot, atomic, and checked on read."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta

import pytest

from reconciler.sources.collected import CollectedStore, ceil_slot, floor_slot, merge, subtract
from reconciler.sources.model import SourceError

DAY = datetime(2026, 11, 24, tzinfo=UTC)


def at(hours: float, day: datetime = DAY) -> datetime:
    return day + timedelta(hours=hours)


def rows(*items) -> dict:
    return {(slot, domain, "spam", "Spam", ""): count for slot, domain, count in items}


def test_a_day_file_is_plain_json_one_count_a_line(tmp_path):
    store = CollectedStore(tmp_path)
    store.replace(at(9), at(10), rows((at(9), "acme.example", 3), (at(9.75), "acme.example", 1)))
    text = (tmp_path / "2026-11-24.json").read_text()
    assert text == (
        '{\n  "format_version": 1,\n  "day": "2026-11-24",\n  "time_zone": "UTC",\n'
        '  "slot_minutes": 15,\n  "collected": [["09:00", "10:00"]],\n  "lost": [],\n'
        '  "counts": [\n'
        '    ["09:00", "acme.example", "spam", "Spam", "", 3],\n'
        '    ["09:45", "acme.example", "spam", "Spam", "", 1]\n  ]\n}\n')
    assert json.loads(text)["counts"][0][5] == 3


def test_collecting_a_window_again_replaces_its_slots_never_adds(tmp_path):
    store = CollectedStore(tmp_path)
    store.replace(at(9), at(11), rows((at(9), "a.example", 3), (at(10.5), "a.example", 2)))
    store.replace(at(10), at(11), rows((at(10.5), "a.example", 5)))  # re-read: 5, not 7
    store.replace(at(10), at(11), {})  # and an hour that turns out empty is empty
    assert store.raw_counts(["a.example"], at(9), at(11)) == {("spam", "Spam", ""): 3}
    assert store.coverage(at(0), at(24)) == ([(at(9), at(11))], [])


def test_a_window_across_midnight_writes_both_days(tmp_path):
    store = CollectedStore(tmp_path)
    store.replace(at(23), at(25), rows((at(23.5), "a.example", 1), (at(24.25), "a.example", 4)))
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["2026-11-24.json",
                                                               "2026-11-25.json"]
    assert store.coverage(at(20), at(30)) == ([(at(23), at(25))], [])
    fresh = CollectedStore(tmp_path)  # read back from the files
    assert fresh.raw_counts(["A.EXAMPLE"], at(24), at(25)) == {("spam", "Spam", ""): 4}
    assert fresh.coverage(at(20), at(30)) == ([(at(23), at(25))], [])


def test_lost_stretches_and_what_was_accounted_for(tmp_path):
    store = CollectedStore(tmp_path)
    assert store.accounted_until(at(30)) is None  # nothing yet
    store.replace(at(1), at(5), {})
    store.mark_lost(at(3), at(30))  # only the part not collected is lost
    assert store.coverage(at(0), at(48)) == ([(at(1), at(5))], [(at(5), at(30))])
    assert store.accounted_until(at(40)) == at(30)
    assert store.accounted_until(at(4)) == at(5)
    store.replace(at(6), at(7), {})  # collected after all: no longer lost
    assert store.coverage(at(0), at(48))[1] == [(at(5), at(6)), (at(7), at(30))]


def test_a_crash_while_writing_leaves_the_old_file(tmp_path, monkeypatch):
    store = CollectedStore(tmp_path)
    store.replace(at(9), at(10), rows((at(9), "a.example", 3)))
    before = (tmp_path / "2026-11-24.json").read_bytes()

    def dies(*args):
        raise OSError("disk gone")
    monkeypatch.setattr(os, "replace", dies)
    with pytest.raises(OSError):
        CollectedStore(tmp_path).replace(at(10), at(11), rows((at(10), "a.example", 9)))
    assert (tmp_path / "2026-11-24.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["2026-11-24.json"]  # no temporary left


@pytest.mark.parametrize("change, message", [
    ({"format_version": 2}, "not a collected-counts file"),
    ({"day": "2026-11-23"}, "its day or slot size is not this file's"),
    ({"collected": [["09:00"]]}, r"collected holds \['09:00'\], not \[start, end\]"),
    ({"collected": [["10:00", "09:00"]]}, "empty or reversed"),
    ({"lost": [["09:10", "10:00"]]}, "'09:10' is not a quarter-hour"),
    ({"counts": [["09:00", "a", "spam", "Spam", "", -1]]}, "counts row 1 is not"),
    ({"counts": [["24:00", "a", "spam", "Spam", "", 1]]}, "slot 24:00 is the next day"),
])
def test_a_damaged_file_is_an_error_naming_it_never_zero(tmp_path, change, message):
    store = CollectedStore(tmp_path, shown="data/collected")
    store.replace(at(9), at(10), rows((at(9), "a.example", 3)))
    path = tmp_path / "2026-11-24.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    with pytest.raises(SourceError, match=f"data/collected/2026-11-24.json: .*{message}"):
        CollectedStore(tmp_path, shown="data/collected").coverage(at(0), at(24))
    path.write_text("{not json")
    with pytest.raises(SourceError, match="not a collected-counts file"):
        CollectedStore(tmp_path).load(date(2026, 11, 24))


def test_slots_and_intervals():
    moment = datetime(2026, 11, 24, 9, 44, 59, tzinfo=UTC)
    assert floor_slot(moment) == at(9.5) and ceil_slot(moment) == at(9.75)
    assert ceil_slot(at(9.75)) == at(9.75)
    assert merge([(at(3), at(4)), (at(1), at(2)), (at(2), at(3))]) == [(at(1), at(4))]
    assert subtract((at(0), at(10)), [(at(2), at(3)), (at(5), at(12))]) == [
        (at(0), at(2)), (at(3), at(5))]
