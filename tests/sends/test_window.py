"""Reading what was sent over a span of days: a prefix per month and per ISO week-year
matches every label form (days, spans, months, weeks); keys compare in any case; a
malformed ticket makes its pair unreadable, never unsent."""

from datetime import date

from reconciler.sends.window import read_sent, span_prefixes
from tests.fakes.gateway import FakeGateway
from tests.sends import world

PAIR = ("acme", "hosted_email_security")


def test_prefixes_cover_every_label_of_the_span_and_nothing_of_another_kind():
    prefixes = span_prefixes("hosted_email_security", "ACME", date(2026, 9, 24),
                             date(2026, 11, 25))
    assert prefixes == ["tmrm:hes:ACME:2026-09", "tmrm:hes:ACME:2026-10",
                        "tmrm:hes:ACME:2026-11", "tmrm:hes:ACME:2026-W"]
    for label in ("2026-09-24", "2026-10", "2026-W47", "2026-11-25/2026-11-29", "2026-11-01"):
        assert any(f"tmrm:hes:ACME:{label}".startswith(p) for p in prefixes), label
    assert not any("tmrm:tmems:ACME:2026-10".startswith(p) for p in prefixes)
    across = span_prefixes("hosted_email_security", "ACME", date(2026, 12, 20),
                           date(2027, 1, 10))
    assert across[-2:] == ["tmrm:hes:ACME:2026-W", "tmrm:hes:ACME:2027-W"]
    # weekly and monthly cadences: a clause per year (and ISO week-year) is enough
    assert span_prefixes("email_security", "ACME", date(2026, 9, 24), date(2026, 11, 25),
                         daily=False) == ["tmrm:tmems:ACME:2026-"]
    assert span_prefixes("billing", "ACME", date(2026, 12, 1), date(2027, 1, 2),
                         daily=False) == ["tmrm:billing:ACME:2026-", "tmrm:billing:ACME:2027-"]


def test_keys_are_found_in_any_case_and_kept_as_written():
    fake = FakeGateway()
    fake.add_ticket(1, "tmrm:hes:acme:2026-W47")  # sent before the file said ACME
    fake.add_ticket(2, "tmrm:hes:ACME:2026-11-24")
    fake.add_ticket(3, "tmrm:hes:ACME:2026-11-24")  # a duplicate: the lowest id first
    read = read_sent(fake, {PAIR: span_prefixes("hosted_email_security", "ACME",
                                                 date(2026, 11, 1), date(2026, 11, 25))})
    assert sorted(read.keys(PAIR)) == ["tmrm:hes:ACME:2026-11-24", "tmrm:hes:acme:2026-W47"]
    assert [t.id for t in read.tickets("TMRM:HES:ACME:2026-11-24")] == [2, 3]


def test_a_malformed_ticket_makes_its_pair_unreadable_never_unsent():
    fake = FakeGateway()
    fake.add_ticket(1, "tmrm:hes:ACME:2026-11-01")
    fake.answer_malformed("tickets", "ticket", owner="TMRM:HES:ACME:2026-11-02")
    prefixes = {PAIR: ["tmrm:hes:ACME:2026-11"], ("zed", "billing"): ["tmrm:billing:ZED:"]}
    read = read_sent(fake, prefixes)
    assert list(read.unreadable) == [PAIR]
    fake.answer_malformed("tickets", "ticket 9", owner=None)  # whose: unknown, so anyone's
    assert set(read_sent(fake, prefixes).unreadable) == set(prefixes)


def test_one_request_against_the_sandbox(app, gateway):
    for key in ("tmrm:hes:STARK:2026-11-01", "tmrm:hes:STARK:2026-W40", "tmrm:hes:STARK:2026-10"):
        gateway.client.post("/service/tickets", {"summary": "s", "company": {"identifier":
                                                                              "STARK"},
                                                 "externalXRef": key})
    before = gateway.request_count
    read = read_sent(gateway, {("stark", "hosted_email_security"): span_prefixes(
        "hosted_email_security", "STARK", date(2026, 9, 20), date(2026, 11, 25))})
    assert sorted(read.keys(("stark", "hosted_email_security"))) == [
        "tmrm:hes:STARK:2026-10", "tmrm:hes:STARK:2026-11-01", "tmrm:hes:STARK:2026-W40"]
    assert gateway.request_count - before == 1
    assert world.tickets(app)
