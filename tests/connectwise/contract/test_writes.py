"""Gateway contract, writes: each test changes the world it runs on (never a real site's
unless pointed there on purpose)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from reconciler.connectwise.records import NewAddition, NewTicket

DAY = date(2026, 11, 25)


def addition(gateway, agreement_id, addition_id):
    return next(x for x in gateway.additions([agreement_id]).records if x.id == addition_id)


def test_create_addition(gateway, world):
    new = NewAddition(world.catalog_item, "Billable", DAY, 0)
    created = gateway.create_addition(world.writable_agreement, new)
    assert (created.agreement_id, created.product, created.bill_customer) == (
        world.writable_agreement, world.catalog_item, "Billable")
    assert created.live_on(DAY)
    read = addition(gateway, world.writable_agreement, created.id)
    assert (read.product, read.bill_customer, read.effective_date[:10]) == (
        world.catalog_item, "Billable", DAY.isoformat())


def test_create_addition_with_a_quantity(gateway, world):
    new = NewAddition(world.catalog_item, "Billable", DAY, quantity=12)
    created = gateway.create_addition(world.writable_agreement, new)
    assert addition(gateway, world.writable_agreement, created.id).quantity == 12
    # zero is written too, never left to ConnectWise's undocumented default
    zero = gateway.create_addition(world.writable_agreement,
                                   NewAddition(world.catalog_item, "Billable", DAY, 0))
    assert addition(gateway, world.writable_agreement, zero.id).quantity == 0


def test_cancel_addition_sets_the_date_and_keeps_the_record(gateway, world):
    created = gateway.create_addition(world.writable_agreement,
                                      NewAddition(world.catalog_item, "Billable", DAY, 0))
    gateway.cancel_addition(world.writable_agreement, created.id, DAY + timedelta(days=3))
    read = addition(gateway, world.writable_agreement, created.id)
    assert read.cancelled_on == DAY + timedelta(days=3)
    assert read.live_on(DAY + timedelta(days=2)) and not read.live_on(DAY + timedelta(days=3))


def test_update_addition_fields_and_clear_a_pending_cancel(gateway, world):
    created = gateway.create_addition(world.writable_agreement,
                                      NewAddition(world.catalog_item, "DoNotBill", DAY, 0))
    gateway.cancel_addition(world.writable_agreement, created.id, DAY + timedelta(days=30))
    gateway.update_addition(world.writable_agreement, created.id,
                            {"billCustomer": "Billable", "cancelledDate": None})
    read = addition(gateway, world.writable_agreement, created.id)
    assert (read.bill_customer, read.cancelled_date) == ("Billable", None)
    with pytest.raises(ValueError, match="cannot write addition field"):
        gateway.update_addition(world.writable_agreement, created.id, {"unitCost": 1})


def test_set_quantity_whole_and_fractional(gateway, world):
    created = gateway.create_addition(world.writable_agreement,
                                      NewAddition(world.catalog_item, "Billable", DAY, 0))
    gateway.set_quantity(world.writable_agreement, created.id, 73.0)
    assert addition(gateway, world.writable_agreement, created.id).quantity == 73
    gateway.set_quantity(world.writable_agreement, created.id, 2.5)
    assert addition(gateway, world.writable_agreement, created.id).quantity == 2.5


def ticket(gateway, world, key: str) -> NewTicket:
    board = next(b for b in gateway.boards() if b.name == world.board)
    status = next(s for s in gateway.board_statuses(board.id) if not s.closed and not s.inactive)
    priority = gateway.priorities()[0]
    return NewTicket(key=key, summary=f"contract {key}", company=world.writable_company,
                     description="written by the gateway contract suite", board_id=board.id,
                     status_id=status.id, priority_id=priority.id,
                     type_id=gateway.board_types(board.id)[0].id,
                     agreement_id=world.writable_agreement)


def test_created_tickets_are_found_by_key_and_prefix(gateway, world):
    key = world.key("2026-11-25")
    created = gateway.create_ticket(ticket(gateway, world, key))
    assert (created.key, created.summary, created.company) == (
        key, f"contract {key}", world.writable_company)
    assert not created.closed
    [read] = gateway.tickets(keys=[key]).records
    assert read.id == created.id and read.entered_at.tzinfo is not None
    assert "written by the gateway contract suite" in gateway.ticket_text(created.id)
    prefix = world.key("2026-11-")
    assert created.id in {t.id for t in gateway.tickets(key_prefixes=[prefix]).records}
    assert gateway.any_ticket_with_key_prefix(["tmrm:nothing:", prefix])
    assert not gateway.any_ticket_with_key_prefix([world.key("nothing-here:")])


def test_tickets_of_companies_by_key_prefix_in_any_case(gateway, world):
    mine = f"tmrm:contractx:{world.writable_company}:2026-10"
    created = gateway.create_ticket(ticket(gateway, world, mine))
    gateway.create_ticket(ticket(gateway, world, f"tmrm:other:{world.writable_company}:1"))
    found = gateway.tickets_of_companies([world.writable_company.lower(),
                                          world.missing_company],
                                         ["TMRM:CONTRACTX", "tmrm:nothing-"])
    assert not found.malformed
    assert [(t.id, t.key, t.summary) for t in found.records] == [
        (created.id, mine, f"contract {mine}")]
    before = gateway.request_count
    assert gateway.tickets_of_companies([], ["tmrm:contractx"]).records == ()
    assert gateway.request_count == before  # nothing asked, nothing sent


def test_many_keys_are_read_in_one_call(gateway, world):
    keys = [world.key(f"K{n:03d}") for n in range(120)]
    made = {gateway.create_ticket(ticket(gateway, world, key)).id for key in keys[::10]}
    found = gateway.tickets(keys=keys).records
    assert {t.id for t in found} == made
    assert {t.key for t in found} == set(keys[::10])


def test_a_losing_duplicate_is_settled_by_patch_marked_and_closed(gateway, world):
    key = world.key("2026-W48")
    first = gateway.create_ticket(ticket(gateway, world, key))
    second = gateway.create_ticket(ticket(gateway, world, key))
    assert first.id < second.id
    assert [t.id for t in gateway.tickets(keys=[key]).records] == [first.id, second.id]
    assert second.duplicate_of is None and not second.closed

    settled = gateway.settle_duplicate_ticket(second, first.id)
    assert (settled.id, settled.duplicate_of, settled.closed) == (second.id, first.id, True)
    assert settled.summary.startswith(f"[duplicate of #{first.id}] contract ")
    winner, loser = gateway.tickets(keys=[key]).records  # the loser keeps its key
    assert (winner.id, winner.duplicate_of, winner.closed) == (first.id, None, False)
    assert (loser.id, loser.duplicate_of, loser.closed, loser.key) == (
        second.id, first.id, True, key)
    assert loser.status in world.closed_statuses

    before = gateway.request_count
    assert gateway.settle_duplicate_ticket(loser, first.id) == loser  # done: nothing to redo
    assert gateway.request_count == before


def test_a_marked_but_open_duplicate_is_closed_by_the_next_settlement(gateway, world):
    key = world.key("2026-W49")
    first = gateway.create_ticket(ticket(gateway, world, key))
    second = gateway.create_ticket(ticket(gateway, world, key))
    halfway = replace(second, duplicate_of=first.id)  # as read after a refused close
    settled = gateway.settle_duplicate_ticket(halfway, first.id)
    assert settled.closed


def test_closing_a_ticket_moves_it_to_a_closed_status(gateway, world):
    created = gateway.create_ticket(ticket(gateway, world, world.key("2026-W50")))
    closed = gateway.close_ticket(created)
    assert closed.closed and closed.status in world.closed_statuses
    assert gateway.close_ticket(closed) == closed  # closed already: nothing to do
    [read] = gateway.tickets(keys=[created.key]).records
    assert read.closed and read.duplicate_of is None
