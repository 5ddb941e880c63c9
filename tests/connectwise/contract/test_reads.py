"""Gateway contract, read-only: every implementation answers these alike."""

from __future__ import annotations

from datetime import timedelta

from reconciler.connectwise.records import Addition, Agreement, Company
from tests.connectwise.contract.world import need


def test_companies_by_identifier_in_any_case(gateway, world):
    found = gateway.companies([world.company.lower(), world.missing_company])
    assert not found.malformed
    [company] = found.records
    assert isinstance(company, Company)
    assert (company.id, company.identifier, company.name, company.deleted) == (
        world.company_id, world.company, world.company_name, False)


def test_deleted_companies_are_read_as_deleted(gateway, world):
    deleted = need(world.deleted_company, "deleted company")
    assert [c.deleted for c in gateway.companies([deleted]).records] == [True]


def test_no_identifiers_no_companies(gateway):
    before = gateway.request_count
    assert gateway.companies([]).records == ()
    assert gateway.request_count == before  # nothing asked, nothing sent


def test_close_identifiers_are_live_companies_sharing_the_prefix(gateway, world):
    found = gateway.company_identifiers_like(world.company[:2])
    near = need(world.near_identifier, "second company sharing the first two characters")
    assert {world.company, near} <= set(found)
    assert all(i.casefold().startswith(world.company[:2].casefold()) for i in found)


def test_close_identifiers_leave_deleted_companies_out(gateway, world):
    deleted = need(world.deleted_company, "deleted company")
    assert deleted not in gateway.company_identifiers_like(deleted[:2])


def test_agreements_of_companies_by_id_and_by_identifier(gateway, world):
    by_id = gateway.agreements_of_companies([world.company_id])
    by_identifier = gateway.agreements_of_identifiers([world.company.lower()])
    assert {a.id for a in by_id.records} == set(world.agreement_ids)
    assert sorted(by_id.records, key=lambda a: a.id) == sorted(by_identifier.records,
                                                              key=lambda a: a.id)
    for agreement in by_id.records:
        assert isinstance(agreement, Agreement)
        assert agreement.company_id == world.company_id
        assert agreement.company_identifier == world.company
        assert agreement.name and agreement.type_name


def test_cancelled_or_expired_agreements_are_not_active(gateway, world):
    inactive = need(world.inactive_agreement, "cancelled or expired agreement")
    found = {a.id: a for a in gateway.agreements_of_identifiers([world.inactive_company])
             .records}
    assert not found[inactive].active


def test_active_agreements_of_a_type_across_companies(gateway, world):
    found = gateway.active_agreements_of_types([world.agreement_type])
    assert {a.id for a in found.records} == set(world.active_of_type)
    assert all(a.active and a.type_name == world.agreement_type for a in found.records)
    assert all(a.company_identifier for a in found.records)


def test_additions_of_agreements(gateway, world):
    agreement = need(world.agreement_with_additions, "agreement with additions")
    found = gateway.additions([agreement])
    assert not found.malformed
    by_id = {x.id: x for x in found.records}
    assert set(by_id) == set(world.additions)
    for addition_id, (product, quantity, bill) in world.additions.items():
        x = by_id[addition_id]
        assert isinstance(x, Addition)
        assert (x.agreement_id, x.product, x.quantity, x.bill_customer) == (
            agreement, product, quantity, bill)
        assert x.effective_date


def test_a_cancelled_addition_bills_until_its_cancelled_date(gateway, world):
    addition_id = need(world.cancelled_addition, "cancelled addition")
    by_id = {x.id: x for x in gateway.additions([world.agreement_with_additions]).records}
    cancelled = by_id[addition_id]
    assert cancelled.cancelled_on == world.cancelled_on
    assert cancelled.live_on(world.cancelled_on - timedelta(days=1))
    assert not cancelled.live_on(world.cancelled_on)


def test_additions_of_several_agreements_at_once(gateway, world):
    ids = sorted(world.agreement_ids | {need(world.agreement_with_additions,
                                             "agreement with additions")})
    together = gateway.additions(ids).records
    apart = [x for i in ids for x in gateway.additions([i]).records]
    assert sorted(together, key=lambda x: x.id) == sorted(apart, key=lambda x: x.id)


def test_routing_names(gateway, world):
    board = next(b for b in gateway.boards() if b.name == world.board)
    assert {s.name for s in gateway.board_statuses(board.id)} == set(world.board_statuses)
    assert {t.name for t in gateway.board_types(board.id)} == set(world.board_types)
    assert {p.name for p in gateway.priorities()} == set(world.priorities)
    assert all(isinstance(r.id, int) for r in gateway.priorities())


def test_the_text_of_a_tickets_notes(gateway, world):
    noted = need(world.ticket_with_notes, "ticket with notes")
    assert world.note_text in gateway.ticket_text(noted)


def test_a_ticket_without_notes_has_no_text(gateway, world):
    assert gateway.ticket_text(need(world.ticket_without_notes, "ticket without notes")) is None


def test_a_key_nobody_sent_finds_no_ticket(gateway):
    assert gateway.tickets(keys=["tmrm:contract:NOBODY:2000-01"]).records == ()
    assert not gateway.any_ticket_with_key_prefix(["tmrm:contract:NOBODY:"])


def test_parallel_keeps_order_and_requests_are_counted(gateway, world):
    before = gateway.request_count
    assert gateway.parallel(lambda n: n * n, range(20)) == [n * n for n in range(20)]
    gateway.companies([world.company])
    assert gateway.request_count > before


def test_the_site_answers_an_authenticated_read_and_says_what_it_is(gateway, world):
    facts = gateway.site()
    assert facts.codebase.endswith("/") and facts.api_version == world.api_version
    assert facts.current_version is None or facts.current_version.count(".") == 1


def test_every_kind_of_record_the_tool_reads_is_readable(gateway):
    access = gateway.read_access()
    assert {a.resource for a in access} >= {
        "companies", "agreements", "agreement types", "catalog items", "tickets", "boards",
        "priorities", "agreement additions", "ticket notes", "board statuses", "board types"}
    assert [a for a in access if a.error is not None or a.skipped] == []


def test_agreement_types_and_catalog_items_by_name(gateway, world):
    types = {t.name: t for t in gateway.agreement_types([world.agreement_type.lower(),
                                                          "No Such Type"])}
    assert list(types) == [world.agreement_type] and not types[world.agreement_type].inactive
    item = need(world.catalog_item, "catalog item in use")
    inactive = need(world.inactive_catalog_item, "inactive catalog item")
    items = gateway.catalog_items([item, inactive, "NOPE"])
    assert {(i.identifier, i.inactive) for i in items} == {(item, False), (inactive, True)}
    assert next(i.price for i in items if i.identifier == item) == world.catalog_item_price
