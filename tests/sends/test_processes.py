"""Two `reconciler run-due` processes at the same moment on one sandbox state file:
every due period is sent exactly once, by one of them."""

import json
import sys
from collections import Counter

import pytest

from reconciler.sandbox import create_app
from tests.processes import Process
from tests.sends import world


@pytest.mark.slow
def test_two_processes_at_once_send_each_period_once(tmp_path):
    root = world.example_fleet(tmp_path)
    command = [sys.executable, "-m", "reconciler", "--root", str(root), "run-due",
               "--at", "2026-12-01T12:00:00-05:00", "--customer", "hooli",
               "--customer", "initech", "--customer", "stark", "--format", "json"]
    with Process(command) as one, Process(command) as two:
        codes = [one.wait(), two.wait()]
    assert codes == [0, 0], one.output() + two.output()
    rows = [row for p in (one, two) for row in json.loads(p.stdout)["results"]]
    per_key = Counter(row["key"] for row in rows if row["outcome"] == "sent")
    assert per_key and set(per_key.values()) == {1}  # each key sent by exactly one process
    assert {row["key"] for row in rows} == set(per_key)
    app = create_app(state_path=root / ".reconciler" / "sandbox-state.json")
    assert sorted(world.counted_keys(app)) == sorted(per_key)
    assert "warning" not in {row["outcome"] for row in rows}  # losers, if any, were settled
