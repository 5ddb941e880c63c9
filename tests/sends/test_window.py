"""Compact key reads: a prefix per customer, kind and month; only the keys asked for kept."""

from reconciler.sends.window import groups, read_window
from tests.fakes.gateway import FakeGateway
from tests.sends import world


def test_daily_and_weekly_keys_group_by_prefix_and_cover_every_key():
    keys = ([f"tmrm:hes:ACME:2026-11-{d:02d}" for d in range(1, 25)]
            + ["tmrm:hes:ACME:2026-10-31", "tmrm:billing:ACME:2026-11"]
            + [f"tmrm:tmems:ACME:2026-W{w}" for w in (45, 46, 47)])
    prefixes, single = groups(keys)
    assert prefixes == ["tmrm:hes:ACME:2026-11-", "tmrm:tmems:ACME:2026-W4"]
    assert sorted(single) == ["tmrm:billing:ACME:2026-11", "tmrm:hes:ACME:2026-10-31"]
    assert all(k in single or any(k.startswith(p) for p in prefixes) for k in keys)


def test_a_malformed_ticket_makes_its_key_unreadable_never_unsent():
    fake = FakeGateway()
    fake.add_ticket(1, "tmrm:hes:ACME:2026-11-01")
    fake.answer_malformed("tickets", "ticket", owner="TMRM:HES:ACME:2026-11-02")
    read = read_window(fake, ["tmrm:hes:ACME:2026-11-01", "tmrm:hes:ACME:2026-11-02",
                              "tmrm:hes:ACME:2026-11-03"])
    assert list(read.found) == ["tmrm:hes:ACME:2026-11-01"]
    assert list(read.unreadable) == ["tmrm:hes:ACME:2026-11-02"]  # compared in any case


def test_read_window_returns_only_the_keys_asked_for(app, gateway):
    for key in ("tmrm:hes:STARK:2026-11-01", "tmrm:hes:STARK:2026-11-02",
                "tmrm:hes:STARK:2026-11-03", "tmrm:hes:STARK:2026-11-04"):
        gateway.client.post("/service/tickets", {"summary": "s", "company": {"identifier": "STARK"},
                                         "externalXRef": key})
    asked = ["tmrm:hes:STARK:2026-11-01", "tmrm:hes:STARK:2026-11-02",
             "tmrm:hes:STARK:2026-11-03", "tmrm:hes:STARK:2026-11-05"]
    before = gateway.request_count
    found = read_window(gateway, asked).found
    assert sorted(found) == asked[:3]  # 11-04 matched the prefix but was not asked for
    assert gateway.request_count - before == 1
    assert world.tickets(app)  # the sandbox holds them
