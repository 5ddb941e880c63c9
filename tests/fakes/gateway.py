"""`FakeGateway`: ConnectWise in memory, for fast unit tests of plan, apply, sends, import.

Typed records in dicts, text compared without regard to case (as ConnectWise compares
it), every write recorded in `writes`, failures injected per (operation, id), failed
requests of bulk reads per value asked for (`fail_read`) and malformed records per read
(`malformed`). It is held to the same answers as
`HttpGateway` by tests/connectwise/contract.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from reconciler.connectwise.errors import ConnectWiseError, NotFound
from reconciler.connectwise.gateway import UPDATABLE_ADDITION_FIELDS, Batch, FailedRead
from reconciler.connectwise.gateway.duplicates import CannotSettle, marked_summary
from reconciler.connectwise.records import (
    Access,
    Addition,
    Agreement,
    CatalogItem,
    Company,
    MalformedRecord,
    NewAddition,
    NewTicket,
    Ref,
    SiteFacts,
    Ticket,
)

T = TypeVar("T")
U = TypeVar("U")
# The kinds of records HttpGateway.read_access tries, as it names them.
READS = (("companies", "/company/companies"), ("agreements", "/finance/agreements"),
         ("agreement types", "/finance/agreements/types"),
         ("catalog items", "/procurement/catalog"), ("tickets", "/service/tickets"),
         ("boards", "/service/boards"), ("priorities", "/service/priorities"),
         ("agreement additions", "/finance/agreements/{id}/additions"),
         ("ticket notes", "/service/tickets/{id}/notes"),
         ("board statuses", "/service/boards/{id}/statuses"),
         ("board types", "/service/boards/{id}/types"))
ATTRIBUTES = {"billCustomer": "bill_customer", "cancelledDate": "cancelled_date",
              "quantity": "quantity"}


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _day(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


class FakeGateway:
    """The Gateway in memory. `request_count` counts calls (one per operation)."""

    def __init__(self) -> None:
        self._companies: dict[int, Company] = {}
        self._agreements: dict[int, Agreement] = {}
        self._additions: dict[int, Addition] = {}
        self._tickets: dict[int, Ticket] = {}
        self.ticket_details: dict[int, NewTicket] = {}  # what each created ticket said
        self._texts: dict[int, str] = {}  # ticket id -> its notes' text
        self.now = datetime(2026, 11, 25, 17, tzinfo=UTC)  # when created tickets are entered
        self._boards: dict[int, Ref] = {}
        self._statuses: dict[int, list[tuple[Ref, bool]]] = {}  # board -> (status, closed)
        self._types: dict[int, list[Ref]] = {}
        self._priorities: list[Ref] = []
        self._agreement_types: list[Ref] = []
        self._catalog: list[CatalogItem] = []
        self.site_facts = SiteFacts("v2025_1/", "2025.1", "2025.1", self.now)
        self.refused_reads: dict[str, ConnectWiseError] = {}  # resource -> its refusal
        self.writes: list[tuple[Any, ...]] = []
        self.failures: dict[tuple[str, int], Exception] = {}
        self.malformed: dict[str, list[MalformedRecord]] = {}  # read -> what it also answers
        self.failing_reads: dict[tuple[str, bool], ConnectWiseError] = {}  # (start, exact)
        self.requests = 0
        self._next_id = 1_000_000
        self._lock = threading.RLock()

    # -- building a world -----------------------------------------------------------------
    def add_company(self, id: int, identifier: str, name: str = "", *,
                    deleted: bool = False) -> Company:
        company = Company(id, identifier, name or identifier.title(), deleted)
        self._companies[id] = company
        return company

    def add_agreement(self, id: int, company: Company, type_name: str, name: str, *,
                      status: str = "Active", cancelled: bool = False) -> Agreement:
        agreement = Agreement(id, name, type_name, company.id, company.identifier, company.name,
                              "Cancelled" if cancelled else status, cancelled)
        self._agreements[id] = agreement
        return agreement

    def add_addition(self, id: int, agreement: Agreement, product: str, **fields: Any
                     ) -> Addition:
        fields.setdefault("bill_customer", "Billable")
        addition = Addition(id, agreement.id, product, **fields)
        self._additions[id] = addition
        return addition

    def add_ticket(self, id: int, key: str, company: str = "", summary: str = "", *,
                   closed: bool = False, status: str = "", text: str | None = None,
                   entered: str | None = None, board_id: int | None = None,
                   duplicate_of: int | None = None) -> Ticket:
        ticket = Ticket(id, key, summary, company, closed, status, entered, board_id,
                        duplicate_of)
        self._tickets[id] = ticket
        if text is not None:
            self._texts[id] = text
        return ticket

    def add_board(self, id: int, name: str, statuses: Iterable[tuple] = (),
                  types: Iterable[tuple[int, str]] = ()) -> Ref:
        """`statuses`: (id, name, closed) or (id, name, closed, inactive)."""
        board = Ref(id, name)
        self._boards[id] = board
        self._statuses[id] = [(Ref(i, n, inactive=bool(rest and rest[0])), closed)
                              for i, n, closed, *rest in statuses]
        self._types[id] = [Ref(i, n) for i, n in types]
        return board

    def add_priority(self, id: int, name: str) -> Ref:
        priority = Ref(id, name)
        self._priorities.append(priority)
        return priority

    def fail(self, operation: str, ident: int, error: Exception) -> None:
        """Make `operation` on the record `ident` (agreement id for creates) raise."""
        self.failures[(operation, ident)] = error

    def fail_read(self, start: str, error: ConnectWiseError, *, exact: bool = False) -> None:
        """Make every request of a bulk read (tickets, agreements by identifier) that asks
        for a value starting with `start` (a key, key prefix or identifier; with `exact`,
        that value only) fail: in the fake, each value asked for is a request of its own."""
        self.failing_reads[(start.casefold(), exact)] = error

    def _failing(self, value: str) -> ConnectWiseError | None:
        asked = value.casefold()
        return next((e for (s, exact), e in self.failing_reads.items()
                     if (asked == s if exact else asked.startswith(s))), None)

    def _failed(self, asked: Iterable[str], *, prefixes: bool, partial: bool
                ) -> tuple[set[str], tuple[FailedRead, ...]]:
        """The values whose (fake) request fails, raised unless `partial`."""
        failed = [(v, e) for v in asked if (e := self._failing(v)) is not None]
        if failed and not partial:
            raise failed[0][1]
        reads = tuple(FailedRead(e, () if prefixes else (v,), (v,) if prefixes else ())
                      for v, e in failed)
        return {v.casefold() for v, _ in failed}, reads

    def answer_malformed(self, read: str, what: str, owner: object = None) -> None:
        """Make the bulk read `read` (e.g. "tickets") also answer a malformed record."""
        self.malformed.setdefault(read, []).append(MalformedRecord(
            what, "a field of the wrong type", method="GET", path=f"/fake/{read}",
            owner=owner))

    def _batch(self, read: str, records: Iterable[T]) -> Batch[T]:
        return Batch(tuple(records), tuple(self.malformed.get(read, ())))

    # -- plumbing -------------------------------------------------------------------------
    @property
    def request_count(self) -> int:
        return self.requests

    def _call(self, operation: str, ident: int | None = None) -> None:
        with self._lock:
            self.requests += 1
        error = self.failures.get((operation, ident)) if ident is not None else None
        if error is not None:
            raise error

    def _new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def parallel(self, fn: Callable[[T], U], items: Iterable[T]) -> list[U]:
        return [fn(item) for item in items]

    # -- companies and agreements ---------------------------------------------------------
    def companies(self, identifiers: Iterable[str]) -> Batch[Company]:
        wanted = {i.casefold() for i in identifiers}
        if not wanted:
            return Batch()
        self._call("companies")
        return self._batch("companies", (c for _, c in sorted(self._companies.items())
                                         if c.identifier.casefold() in wanted))

    def company_identifiers_like(self, prefix: str) -> list[str]:
        self._call("company_identifiers_like")
        return [c.identifier for _, c in sorted(self._companies.items())
                if not c.deleted and c.identifier.casefold().startswith(prefix.casefold())]

    def _agreements_where(self, read: str, keep: Callable[[Agreement], bool]
                          ) -> Batch[Agreement]:
        return self._batch(read, (a for _, a in sorted(self._agreements.items()) if keep(a)))

    def agreements_of_companies(self, company_ids: Iterable[int]) -> Batch[Agreement]:
        ids = set(company_ids)
        if not ids:
            return Batch()
        self._call("agreements_of_companies")
        return self._agreements_where("agreements_of_companies", lambda a: a.company_id in ids)

    def agreements_of_identifiers(self, identifiers: Iterable[str], *, partial: bool = False
                                  ) -> Batch[Agreement]:
        asked = list(identifiers)
        if not asked:
            return Batch()
        self._call("agreements_of_identifiers")
        lost, failed = self._failed(asked, prefixes=False, partial=partial)
        wanted = {i.casefold() for i in asked} - lost
        found = self._agreements_where("agreements_of_identifiers",
                                       lambda a: a.company_identifier.casefold() in wanted)
        return Batch(found.records, found.malformed, failed)

    def active_agreements_of_types(self, types: Iterable[str]) -> Batch[Agreement]:
        wanted = {t.casefold() for t in types}
        self._call("active_agreements_of_types")
        return self._agreements_where("active_agreements_of_types",
                                      lambda a: a.type_name.casefold() in wanted
                                      and _same(a.status, "Active") and not a.cancelled)

    # -- additions ------------------------------------------------------------------------
    def additions(self, agreement_ids: Iterable[int]) -> Batch[Addition]:
        ids = list(dict.fromkeys(agreement_ids))
        for agreement_id in ids:
            self._call("additions", agreement_id)
        return self._batch("additions", (x for _, x in sorted(self._additions.items())
                                         if x.agreement_id in ids))

    def create_addition(self, agreement_id: int, new: NewAddition) -> Addition:
        self._call("create_addition", agreement_id)
        addition = Addition(self._new_id(), agreement_id, new.product, new.quantity,
                            None, new.bill_customer, _day(new.effective))
        with self._lock:
            self._additions[addition.id] = addition
            self.writes.append(("create_addition", agreement_id, new))
        return addition

    def _replace(self, addition_id: int, **fields: Any) -> None:
        with self._lock:
            if addition_id not in self._additions:
                raise NotFound(404, "NotFound", "addition not found", (), "PATCH",
                               f"/additions/{addition_id}")
            self._additions[addition_id] = dataclasses.replace(self._additions[addition_id],
                                                               **fields)

    def cancel_addition(self, agreement_id: int, addition_id: int, on: date) -> None:
        self._call("cancel_addition", addition_id)
        self._replace(addition_id, cancelled_date=_day(on))
        self.writes.append(("cancel_addition", agreement_id, addition_id, on))

    def update_addition(self, agreement_id: int, addition_id: int,
                        changes: dict[str, Any]) -> None:
        unknown = sorted(set(changes) - UPDATABLE_ADDITION_FIELDS)
        if unknown:
            raise ValueError(f"cannot write addition field(s) {', '.join(unknown)}")
        self._call("update_addition", addition_id)
        values = {ATTRIBUTES[k]: _day(v) if isinstance(v, date) else v
                  for k, v in changes.items()}
        self._replace(addition_id, **values)
        self.writes.append(("update_addition", agreement_id, addition_id, dict(changes)))

    def set_quantity(self, agreement_id: int, addition_id: int, quantity: float) -> None:
        self._call("set_quantity", addition_id)
        self._replace(addition_id, quantity=quantity)
        self.writes.append(("set_quantity", agreement_id, addition_id, quantity))

    # -- tickets --------------------------------------------------------------------------
    def tickets(self, keys: Iterable[str] = (), key_prefixes: Iterable[str] = (), *,
                partial: bool = False) -> Batch[Ticket]:
        keys, key_prefixes = list(keys), list(key_prefixes)
        if not keys and not key_prefixes:
            return Batch()
        self._call("tickets")
        lost_keys, failed_keys = self._failed(keys, prefixes=False, partial=partial)
        lost_prefixes, failed_prefixes = self._failed(key_prefixes, prefixes=True,
                                                      partial=partial)
        exact = {k.casefold() for k in keys} - lost_keys
        prefixes = [p.casefold() for p in key_prefixes if p.casefold() not in lost_prefixes]
        with self._lock:
            found = sorted(self._tickets.items())
        batch = self._batch("tickets", (t for _, t in found if t.key.casefold() in exact
                                        or any(t.key.casefold().startswith(p)
                                               for p in prefixes)))
        return Batch(batch.records, batch.malformed, failed_keys + failed_prefixes)

    def tickets_of_companies(self, identifiers: Iterable[str], key_prefixes: Iterable[str]
                             ) -> Batch[Ticket]:
        wanted = {i.casefold() for i in identifiers}
        prefixes = [p.casefold() for p in key_prefixes]
        if not wanted:
            return Batch()
        self._call("tickets_of_companies")
        with self._lock:
            found = sorted(self._tickets.items())
        return self._batch("tickets_of_companies", (
            t for _, t in found if t.company.casefold() in wanted
            and any(t.key.casefold().startswith(p) for p in prefixes)))

    def any_ticket_with_key_prefix(self, key_prefixes: Iterable[str]) -> bool:
        prefixes = [p.casefold() for p in key_prefixes]
        self._call("any_ticket_with_key_prefix")
        with self._lock:
            return any(t.key.casefold().startswith(p) for t in self._tickets.values()
                       for p in prefixes)

    def create_ticket(self, new: NewTicket) -> Ticket:
        self._call("create_ticket", new.board_id)
        statuses = dict((s.id, (s, closed)) for s, closed in self._statuses.get(new.board_id, []))
        status, closed = statuses.get(new.status_id, (Ref(new.status_id, ""), False))
        entered = self.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        ticket = Ticket(self._new_id(), new.key, new.summary, new.company, closed, status.name,
                        entered, board_id=new.board_id)
        with self._lock:
            self._tickets[ticket.id] = ticket
            self.ticket_details[ticket.id] = new
            if new.description:
                self._texts[ticket.id] = new.description
            self.writes.append(("create_ticket", new))
        return ticket

    def ticket_text(self, ticket_id: int) -> str | None:
        self._call("ticket_text", ticket_id)
        return self._texts.get(ticket_id)

    def settle_duplicate_ticket(self, loser: Ticket, winner_id: int) -> Ticket:
        """Mark, then close (each its own failure point: `fail("mark_duplicate", id)`,
        `fail("close_duplicate", id)`), like HttpGateway's two PATCHes."""
        with self._lock:
            current = self._tickets[loser.id]
        if current.duplicate_of != winner_id:
            self._call("mark_duplicate", loser.id)
            current = dataclasses.replace(
                current, summary=marked_summary(current.summary, winner_id),
                duplicate_of=winner_id)
            with self._lock:
                self._tickets[loser.id] = current
                self.writes.append(("mark_duplicate", loser.id, winner_id))
        return self._close(current, "close_duplicate")

    def close_ticket(self, ticket: Ticket) -> Ticket:
        with self._lock:
            current = self._tickets[ticket.id]
        return self._close(current, "close_ticket")

    def _close(self, current: Ticket, operation: str) -> Ticket:
        if current.closed:
            return current
        self._call(operation, current.id)
        statuses = self._statuses.get(current.board_id or 0, [])
        closed = [s for s, is_closed in statuses if is_closed and not s.inactive]
        if not closed:
            raise CannotSettle(f"board {current.board_id} of ticket #{current.id} has no "
                               "closed status")
        current = dataclasses.replace(current, closed=True, status=closed[0].name)
        with self._lock:
            self._tickets[current.id] = current
            self.writes.append((operation, current.id, closed[0].id))
        return current

    # -- the site itself (doctor) -----------------------------------------------------------
    def site(self) -> SiteFacts:
        self._call("site")
        return self.site_facts

    def read_access(self) -> list[Access]:
        self._call("read_access")
        return [Access(name, path, self.refused_reads.get(name)) for name, path in READS]

    def agreement_types(self, names: Iterable[str]) -> list[Ref]:
        wanted = {n.casefold() for n in names}
        self._call("agreement_types")
        return [t for t in self._agreement_types if t.name.casefold() in wanted]

    def catalog_items(self, identifiers: Iterable[str]) -> list[CatalogItem]:
        wanted = {i.casefold() for i in identifiers}
        self._call("catalog_items")
        return [c for c in self._catalog if c.identifier.casefold() in wanted]

    def add_agreement_type(self, id: int, name: str, *, inactive: bool = False) -> Ref:
        kind = Ref(id, name, inactive=inactive)
        self._agreement_types.append(kind)
        return kind

    def add_catalog_item(self, id: int, identifier: str, *, inactive: bool = False,
                         price: float | None = None) -> CatalogItem:
        item = CatalogItem(id, identifier, inactive, price)
        self._catalog.append(item)
        return item

    # -- where tickets go -----------------------------------------------------------------
    def boards(self) -> list[Ref]:
        self._call("boards")
        return [b for _, b in sorted(self._boards.items())]

    def board_statuses(self, board_id: int) -> list[Ref]:
        self._call("board_statuses")
        return [dataclasses.replace(s, closed=closed) for s, closed in
                self._statuses.get(board_id, [])]

    def board_types(self, board_id: int) -> list[Ref]:
        self._call("board_types")
        return list(self._types.get(board_id, []))

    def priorities(self) -> list[Ref]:
        self._call("priorities")
        return list(self._priorities)

    # -- reading the world back (tests) ---------------------------------------------------
    def addition(self, addition_id: int) -> Addition:
        return self._additions[addition_id]

    def all_tickets(self) -> list[Ticket]:
        with self._lock:
            return [t for _, t in sorted(self._tickets.items())]
