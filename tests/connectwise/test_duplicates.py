"""How a settled duplicate ticket looks (contract 4): the summary's mark, written within
ConnectWise's 100 characters and read back, and a ticket merged by hand."""

from __future__ import annotations

import pytest

from reconciler.connectwise.gateway import parse
from reconciler.connectwise.gateway.duplicates import marked_summary, marked_winner

TAG = " [r:0123456789ab]"


def test_a_short_summary_is_prefixed_with_the_winner():
    assert marked_summary("Trend Micro billing 2026-11: Acme", 5003) == (
        "[duplicate of #5003] Trend Micro billing 2026-11: Acme")


def test_a_long_summary_is_cut_in_its_human_part_keeping_the_mark_and_a_trailing_tag():
    summary = "Trend Micro billing 2026-11: " + "A" * 54 + TAG  # 100 characters
    assert len(summary) == 100
    marked = marked_summary(summary, 5003)
    assert len(marked) == 100
    assert marked.startswith("[duplicate of #5003] Trend Micro billing 2026-11: AAA")
    assert marked.endswith(TAG)


def test_a_summary_without_room_for_its_tag_is_cut_plainly():
    marked = marked_summary("x" + " [" + "t" * 97 + "]", 12345678)
    assert len(marked) <= 100 and marked_winner(marked) == 12345678


def test_marking_again_replaces_the_mark_instead_of_stacking_it():
    once = marked_summary("HES summary", 5003)
    assert marked_summary(once, 5004) == "[duplicate of #5004] HES summary"


@pytest.mark.parametrize(("summary", "winner"), [
    ("[duplicate of #5003] HES summary", 5003),
    ("  [Duplicate Of #17]x", 17),  # as a person might retype it
    ("HES summary [duplicate of #5003]", None),  # only a leading mark counts
    ("[duplicate of #] HES", None),
    ("", None),
])
def test_the_mark_is_read_back(summary, winner):
    assert marked_winner(summary) == winner


def raw_ticket(**fields):
    return {"id": 7, "summary": "HES summary", "externalXRef": "tmrm:hes:ACME:2026-11-24",
            "board": {"id": 2}, **fields}


def test_a_marked_ticket_parses_as_a_duplicate_of_its_winner():
    ticket = parse.ticket(raw_ticket(summary="[duplicate of #5] HES summary", closedFlag=True))
    assert (ticket.duplicate_of, ticket.closed, ticket.board_id) == (5, True, 2)


def test_a_ticket_merged_by_hand_in_connectwise_is_a_settled_duplicate():
    ticket = parse.ticket(raw_ticket(mergedParentTicket={"id": 3, "summary": "x"}))
    assert ticket.duplicate_of == 3


def test_a_mark_naming_the_ticket_itself_is_no_settlement():
    assert parse.ticket(raw_ticket(summary="[duplicate of #7] x")).duplicate_of is None


def test_an_unmarked_ticket_is_no_duplicate():
    assert parse.ticket(raw_ticket()).duplicate_of is None


def test_a_merged_parent_that_is_not_a_reference_is_a_malformed_record():
    with pytest.raises(parse.BadField, match=r"mergedParentTicket\.id is text"):
        parse.ticket(raw_ticket(mergedParentTicket={"id": "3"}))
