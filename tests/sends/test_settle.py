"""Settling duplicates of one key over the in-memory gateway: which ticket counts, what is
left to settle, and refusals that become warnings (never errors) and are retried."""

from __future__ import annotations

from reconciler.connectwise import Forbidden
from reconciler.sends.settle import losers, record_of, settle
from tests.fakes.gateway import FakeGateway

KEY = "tmrm:hes:ACME:2026-11-24"
REFUSED = Forbidden(403, "Unauthorized", "You do not have security access to perform this "
                    "action.", (), "PATCH", "/service/tickets/2")


def world(*, closed_status: bool = True) -> FakeGateway:
    fake = FakeGateway()
    statuses = [(1, "New", False)] + ([(9, "Closed", True)] if closed_status else [])
    fake.add_board(4, "Billing", statuses)
    return fake


def tickets(fake):
    return [t for t in fake.all_tickets() if t.key == KEY]


def test_the_lowest_unmarked_ticket_is_the_record_and_the_others_are_losers():
    fake = world()
    fake.add_ticket(7, KEY, board_id=4)
    fake.add_ticket(3, KEY, board_id=4, duplicate_of=1, closed=True)  # settled earlier
    fake.add_ticket(5, KEY, board_id=4)
    found = tickets(fake)
    assert record_of(found).id == 5
    assert [t.id for t in losers(found)] == [7]  # the settled one is left alone


def test_a_key_whose_tickets_are_all_marked_still_counts_as_sent():
    fake = world()
    fake.add_ticket(8, KEY, board_id=4, duplicate_of=2, closed=True)  # winner #2 deleted
    assert record_of(tickets(fake)).id == 8
    assert losers(tickets(fake)) == []


def test_settling_marks_then_closes_every_loser():
    fake = world()
    for i in (1, 2, 3):
        fake.add_ticket(i, KEY, summary="HES summary", board_id=4)
    done = settle(fake, KEY, tickets(fake))
    assert done.warnings == ()
    assert "#2 (a duplicate of #1, now closed)" in done.note and "#3" in done.note
    assert [(t.id, t.duplicate_of, t.closed) for t in tickets(fake)] == [
        (1, None, False), (2, 1, True), (3, 1, True)]
    assert fake.writes == [("mark_duplicate", 2, 1), ("close_duplicate", 2, 9),
                           ("mark_duplicate", 3, 1), ("close_duplicate", 3, 9)]
    assert settle(fake, KEY, tickets(fake)).note == ""  # nothing left


def test_a_refused_mark_is_a_warning_naming_what_to_change_and_the_next_run_retries():
    fake = world()
    fake.add_ticket(1, KEY, board_id=4)
    fake.add_ticket(2, KEY, board_id=4)
    fake.fail("mark_duplicate", 2, REFUSED)
    refused = settle(fake, KEY, tickets(fake))
    [warning] = refused.warnings
    assert warning.startswith(f"duplicate ticket #2 of {KEY} (the send is ticket #1) is not "
                              "settled: ConnectWise refused PATCH /service/tickets/2 (403")
    assert "Close Service Tickets" in warning and "next run tries again" in warning
    assert refused.note == "" and [t.duplicate_of for t in tickets(fake)] == [None, None]
    fake.failures.clear()  # the role was fixed
    assert "settled duplicate ticket #2" in settle(fake, KEY, tickets(fake)).note


def test_a_refused_close_leaves_the_mark_and_only_the_close_is_retried():
    fake = world()
    fake.add_ticket(1, KEY, board_id=4)
    fake.add_ticket(2, KEY, board_id=4)
    fake.fail("close_duplicate", 2, REFUSED)
    [warning] = settle(fake, KEY, tickets(fake)).warnings
    assert "403" in warning
    loser = tickets(fake)[1]
    assert (loser.duplicate_of, loser.closed) == (1, False)  # marked: already ignored
    assert record_of(tickets(fake)).id == 1
    fake.failures.clear()
    fake.writes.clear()
    assert settle(fake, KEY, tickets(fake)).warnings == ()
    assert fake.writes == [("close_duplicate", 2, 9)]  # not marked twice


def test_a_board_without_a_closed_status_is_a_warning_that_says_so():
    fake = world(closed_status=False)
    fake.add_ticket(1, KEY, board_id=4)
    fake.add_ticket(2, KEY, board_id=4)
    [warning] = settle(fake, KEY, tickets(fake)).warnings
    assert "board 4 of ticket #2 has no closed status" in warning
