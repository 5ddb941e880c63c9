"""Compact key reads: prefix clauses per customer, kind and month, length-budgeted."""

import re

import httpx

from reconciler.sends.window import CONDITIONS_BUDGET, batches, clauses, read_window
from tests.sends import world


def matches(clause: str, key: str) -> bool:
    kind, value = re.fullmatch(r'externalXRef (like|=) "(.*)"', clause).groups()
    return key.startswith(value[:-1]) if kind == "like" else key == value


def test_clauses_group_daily_and_weekly_keys_and_cover_every_key():
    keys = ([f"tmrm:hes:ACME:2026-11-{d:02d}" for d in range(1, 25)]
            + ["tmrm:hes:ACME:2026-10-31", "tmrm:billing:ACME:2026-11"]
            + [f"tmrm:tmems:ACME:2026-W{w}" for w in (45, 46, 47)])
    found = clauses(keys)
    assert sorted(found) == ['externalXRef = "tmrm:billing:ACME:2026-11"',
                             'externalXRef = "tmrm:hes:ACME:2026-10-31"',
                             'externalXRef like "tmrm:hes:ACME:2026-11-%"',
                             'externalXRef like "tmrm:tmems:ACME:2026-W4%"']
    assert all(any(matches(c, k) for c in found) for k in keys)


def test_batches_stay_under_the_url_budget():
    parts = clauses(f"tmrm:hes:C{c:04d}:2026-11-{d:02d}" for c in range(300) for d in (1, 2, 3))
    requests = batches(parts)
    assert len(requests) < 20  # 900 keys
    for condition in requests:
        assert len(str(httpx.QueryParams({"conditions": condition}))) <= CONDITIONS_BUDGET + 20
    assert sum(c.count(" like ") for c in requests) == 300


def test_read_window_returns_only_the_keys_asked_for(app, client):
    for key in ("tmrm:hes:STARK:2026-11-01", "tmrm:hes:STARK:2026-11-02",
                "tmrm:hes:STARK:2026-11-03", "tmrm:hes:STARK:2026-11-04"):
        client.post("/service/tickets", {"summary": "s", "company": {"identifier": "STARK"},
                                         "externalXRef": key})
    asked = ["tmrm:hes:STARK:2026-11-01", "tmrm:hes:STARK:2026-11-02",
             "tmrm:hes:STARK:2026-11-03", "tmrm:hes:STARK:2026-11-05"]
    client.reset_counters()
    found = read_window(client, asked)
    assert sorted(found) == asked[:3]  # 11-04 matched the prefix but was not asked for
    assert client.request_count == 1
    assert world.tickets(app)  # the sandbox holds them
