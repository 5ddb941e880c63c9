import json

import pytest

from reconciler.plan.model import (
    Plan,
    PlanFileInvalid,
    canonical_hash,
)
from tests.plan.plan_factories import sample_plan


def test_build_sorts_and_dedupes():
    plan = sample_plan()
    assert [c.kind for c in plan.changes] == ["cancel", "create", "update"]
    assert len(plan.warnings) == 1
    assert plan.counts() == {"create": 1, "update": 1, "cancel": 1}


def test_json_round_trip_keeps_everything():
    plan = sample_plan()
    data = json.loads(json.dumps(plan.to_json()))
    assert data["format_version"] == 1
    assert data["changes"][0]["before"] is None and data["changes"][0]["customer"] == "acme"
    assert Plan.from_json(data) == plan


@pytest.mark.parametrize("data", [[], {"x": 1}, {"format_version": 99},
                                  {"format_version": 1, "changes": []}])
def test_bad_plan_files_are_clear_errors(data):
    with pytest.raises(PlanFileInvalid):
        Plan.from_json(data)


def test_canonical_hash_ignores_key_order():
    assert canonical_hash({"a": 1, "b": [1, 2]}) == canonical_hash({"b": [1, 2], "a": 1})
    assert canonical_hash({"a": 1}) != canonical_hash({"a": 2})
