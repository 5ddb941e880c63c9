"""State persistence: JSON file, reload on change, atomic writes, failed writes roll back."""

from __future__ import annotations

import json
import sys

from reconciler.sandbox import create_app
from tests.processes import Process
from tests.sandbox.conftest import NOW, make_client

NEW = {"product": {"identifier": "TM-CAS"}, "billCustomer": "Billable"}
URL = "finance/agreements/102/additions"


def test_state_is_seeded_saved_and_shared_by_two_apps(tmp_path):
    path = tmp_path / "state.json"
    a = make_client(create_app(state_path=path, clock=lambda: NOW))
    assert json.loads(path.read_text())["format"] == 1
    b = make_client(create_app(state_path=path, clock=lambda: NOW))
    created = a.post(URL, json=NEW).json()
    assert b.get(f"{URL}/{created['id']}").status_code == 200
    b.delete(f"{URL}/{created['id']}")
    assert a.get(f"{URL}/{created['id']}").status_code == 404
    assert not list(tmp_path.glob("*.tmp"))


def test_existing_state_wins_over_the_seed(tmp_path):
    path = tmp_path / "state.json"
    make_client(create_app(state_path=path)).post(URL, json=NEW)
    again = make_client(create_app(state_path=path))
    assert again.get(f"{URL}/count").json() == {"count": 2}


def test_memory_only_app_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_client(create_app()).post(URL, json=NEW)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_changes_nothing_on_disk(tmp_path):
    path = tmp_path / "state.json"
    c = make_client(create_app(state_path=path))
    before = path.read_bytes()
    assert c.post(URL, json={"billCustomer": "Billable"}).status_code == 400
    assert path.read_bytes() == before


def test_another_process_sees_writes(tmp_path):
    path = tmp_path / "state.json"
    c = make_client(create_app(state_path=path))
    code = (
        "import httpx, sys\n"
        "from reconciler.sandbox import create_app, transport\n"
        f"app = create_app(state_path={str(path)!r})\n"
        "c = httpx.Client(transport=transport(app), base_url='http://x/v4_6_release/apis/3.0/',"
        " auth=('sandbox+sandbox-public', 'sandbox-private'),"
        " headers={'clientId': '0f9e6c0e-5d6b-4b0a-9d8e-0a1b2c3d4e5f'})\n"
        "for _ in range(5):\n"
        f"    assert c.post({URL!r}, json={NEW!r}).status_code == 201\n"
    )
    with Process([sys.executable, "-c", code]) as one, Process([sys.executable, "-c", code]) as two:
        for _ in range(5):
            assert c.post(URL, json=NEW).status_code == 201
        assert [one.wait(), two.wait()] == [0, 0], one.output() + two.output()
    assert c.get(f"{URL}/count").json() == {"count": 16}  # 1 seeded + 15, none lost


def test_damaged_state_file_is_a_clear_error(tmp_path):
    import pytest

    from reconciler.errors import ReconcilerError

    path = tmp_path / "state.json"
    path.write_text("{not json")
    with pytest.raises(ReconcilerError, match="cannot read sandbox state"):
        create_app(state_path=path)


def test_a_request_failing_half_way_leaves_no_half_change(tmp_path):
    import pytest

    from reconciler.sandbox.store import Store

    path = tmp_path / "state.json"
    app = create_app(state_path=path, clock=lambda: NOW)
    store: Store = app.store
    with pytest.raises(RuntimeError), store.session() as state:
        state.insert("companies", {"identifier": "HALF", "name": "Half"}, NOW)
        raise RuntimeError("boom")
    with store.session() as state:
        assert state.by_key("companies", "identifier", "HALF") == []


def test_writes_go_to_the_journal_and_compact_into_the_snapshot(tmp_path, monkeypatch):
    from reconciler.sandbox import store

    path = tmp_path / "state.json"
    journal = tmp_path / "state.json.journal"
    c = make_client(create_app(state_path=path, clock=lambda: NOW))
    before = path.read_bytes()
    first = c.post(URL, json=NEW).json()
    assert path.read_bytes() == before  # the snapshot is not rewritten per write
    assert journal.is_file()
    fresh = make_client(create_app(state_path=path))
    assert fresh.get(f"{URL}/{first['id']}").json()["product"]["identifier"] == "TM-CAS"
    monkeypatch.setattr(store, "JOURNAL_MIN", 0)
    monkeypatch.setattr(store, "JOURNAL_SHARE", 0.0)
    c.delete(f"{URL}/{first['id']}")  # past the threshold: compacted
    assert not journal.exists()
    assert first["id"] not in [a["id"] for a in json.loads(path.read_text())["collections"]
                               ["additions"]]
    assert make_client(create_app(state_path=path)).get(f"{URL}/count").json() == {"count": 1}


def test_a_torn_journal_line_is_skipped_and_later_writes_kept(tmp_path):
    path = tmp_path / "state.json"
    c = make_client(create_app(state_path=path, clock=lambda: NOW))
    c.post(URL, json=NEW)
    with open(tmp_path / "state.json.journal", "ab") as out:
        out.write(b'\n{"changes":[{"c":"additions","id":9999,"r":{"id":9')  # killed mid-write
    c2 = make_client(create_app(state_path=path, clock=lambda: NOW))
    c2.post(URL, json=NEW)
    assert make_client(create_app(state_path=path)).get(f"{URL}/count").json() == {"count": 3}
