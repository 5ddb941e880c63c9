"""`HttpGateway`: the Gateway over the REST client. The only place in the product that knows
ConnectWise's paths, `fields=` lists and `conditions`.

Reads ask for one field list per record type (so every record is complete, whoever
asked), in bulk: chunked `in (...)` lists, one listing per agreement's additions, and
ticket keys OR-ed into few length-budgeted requests, run on the gateway's thread pool
(bounded by the client's `concurrency`). Every answer is parsed into typed records;
writes send exactly the fields named.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from reconciler.connectwise import conditions as cond
from reconciler.connectwise.client import ConnectWiseClient, replace_ops
from reconciler.connectwise.errors import ConnectWiseError, UnusableAnswer
from reconciler.connectwise.gateway import parse
from reconciler.connectwise.gateway.duplicates import CannotSettle, marked_summary
from reconciler.connectwise.gateway.protocol import UPDATABLE_ADDITION_FIELDS, Batch, FailedRead
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
from reconciler.connectwise.site import SiteError

R = TypeVar("R")
T = TypeVar("T")
U = TypeVar("U")

COMPANIES = "/company/companies"
AGREEMENTS = "/finance/agreements"
TICKETS = "/service/tickets"
BOARDS = "/service/boards"
PRIORITIES = "/service/priorities"
AGREEMENT_TYPES = "/finance/agreements/types"
CATALOG = "/procurement/catalog"

COMPANY_FIELDS = "id,identifier,name,deletedFlag,_info/lastUpdated"
AGREEMENT_FIELDS = ("id,name,type/name,company/id,company/identifier,company/name,"
                    "agreementStatus,cancelledFlag,_info/lastUpdated")
ADDITION_FIELDS = ("id,product/identifier,quantity,unitPrice,billCustomer,effectiveDate,"
                   "cancelledDate,agreementId,_info/lastUpdated")
TICKET_FIELDS = ("id,externalXRef,summary,company/identifier,closedFlag,status/name,"
                 "board/id,mergedParentTicket/id,_info/dateEntered,_info/lastUpdated")
NOTE_FIELDS = "id,text"
REF_FIELDS = "id,name"
STATUS_FIELDS = "id,name,closedStatus,inactive"
AGREEMENT_TYPE_FIELDS = "id,name,inactiveFlag"
CATALOG_FIELDS = "id,identifier,inactiveFlag,price"
# One small page: enough to tell whether the API member may read a kind of record.
PEEK = {"fields": "id", "pageSize": 1, "page": 1}

SUGGESTION_PAGE = 1000  # one page at most: suggestions, not an inventory
# Encoded characters of a ticket read's `conditions`, leaving room in a ~2,000-character
# URL for the path, `fields` and paging parameters.
CONDITIONS_BUDGET = 1500


def additions_path(agreement_id: int) -> str:
    return f"{AGREEMENTS}/{int(agreement_id)}/additions"


def _http_date(value: str | None) -> datetime | None:
    """An HTTP `Date` header as an aware datetime (None when absent or unreadable)."""
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def cw_date(day: date) -> str:
    """A date as ConnectWise writes datetimes."""
    return f"{day.isoformat()}T00:00:00Z"


def units(value: float) -> int | float:
    """Quantities as ConnectWise shows them: whole numbers stay integers."""
    return int(value) if float(value).is_integer() else value


def _encoded(text: str) -> int:
    return len(str(httpx.QueryParams({"c": text}))) - 2


def batches(parts: list[str], budget: int | None = None) -> list[str]:
    """`or`-joined conditions, each under `budget` encoded characters (default
    CONDITIONS_BUDGET; a single clause longer than the budget still gets a request of its
    own)."""
    return [condition for condition, _ in batched([(part, None) for part in parts], budget)]


def batched(parts: Sequence[tuple[str, T]], budget: int | None = None
            ) -> list[tuple[str, list[T]]]:
    """`batches` of (clause, tag) pairs: each request with the tags of its clauses."""
    budget = CONDITIONS_BUDGET if budget is None else budget
    out: list[tuple[str, list[T]]] = []
    current: list[str] = []
    tags: list[T] = []
    for part, tag in parts:
        if current and _encoded(cond.or_(*current, part)) > budget:
            out.append((cond.or_(*current), tags))
            current, tags = [], []
        current.append(part)
        tags.append(tag)
    if current:
        out.append((cond.or_(*current), tags))
    return out


def key_conditions(keys: Iterable[str] = (), key_prefixes: Iterable[str] = ()) -> list[str]:
    """The `conditions` of the requests that read tickets by key and key prefix: prefix
    clauses first, each request under the URL budget."""
    return [condition for condition, _, _ in key_requests(keys, key_prefixes)]


Request = tuple[str, tuple[Any, ...], tuple[str, ...]]  # conditions, values, key prefixes


def key_requests(keys: Iterable[str] = (), key_prefixes: Iterable[str] = ()
                 ) -> list[Request]:
    """`key_conditions`, each with the keys and key prefixes it asks for."""
    asked: list[tuple[str, tuple[tuple[str, ...], tuple[str, ...]]]] = [
        (cond.like("externalXRef", f"{prefix}%"), ((), (prefix,))) for prefix in key_prefixes]
    asked += [(cond.eq("externalXRef", key), ((key,), ())) for key in keys]
    return [(condition, tuple(k for ks, _ in tags for k in ks),
             tuple(p for _, ps in tags for p in ps))
            for condition, tags in batched(asked)]


def key_prefix_condition(key_prefixes: Iterable[str]) -> str:
    """`externalXRef like "p1%" or ...`: tickets whose key starts with one of them."""
    return cond.or_(*(cond.like("externalXRef", f"{p}%") for p in key_prefixes))


def _owner(path: str, kind: type) -> Callable[[Any], Any]:
    """Reads the field at `path` of a raw record if it has type `kind`, else None."""

    def owner(raw: Any) -> Any:
        value = raw
        for part in path.split("/"):
            value = value.get(part) if isinstance(value, dict) else None
        return value if isinstance(value, kind) and not isinstance(value, bool) else None

    return owner


def _parsed(raws: Iterable[Any], parse_one: Callable[[Any], R], owner_of: Callable[[Any], Any],
            method: str, path: str) -> Batch[R]:
    good: list[R] = []
    bad: list[MalformedRecord] = []
    for raw in raws:
        try:
            good.append(parse_one(raw))
        except parse.BadField as exc:
            bad.append(MalformedRecord(exc.what, exc.problem, method=method, path=path,
                                       owner=owner_of(raw)))
    return Batch(tuple(good), tuple(bad))


def _every(batch: Batch[R]) -> list[R]:
    """The records of a read that serves everyone: any malformed one is an error."""
    if batch.malformed:
        raise batch.malformed[0]
    return list(batch.records)


def _created(answer: Any, parse_one: Callable[[Any], R], noun: str, path: str) -> R:
    """The record a POST answered, or MalformedRecord (a list, nothing, a bad field)."""
    if not isinstance(answer, dict):
        raise MalformedRecord(f"created {noun}", f"the answer is {parse.kind_of(answer)}, "
                              "expected the created record", method="POST", path=path)
    try:
        return parse_one(answer)
    except parse.BadField as exc:
        raise MalformedRecord(exc.what, exc.problem, method="POST", path=path) from None


class HttpGateway:
    """The Gateway over one `ConnectWiseClient` (closed with it)."""

    def __init__(self, client: ConnectWiseClient) -> None:
        self.client = client
        self._local = threading.local()  # marks the worker threads of `parallel`

    def __repr__(self) -> str:
        return f"HttpGateway({self.client!r})"

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def request_count(self) -> int:
        return self.client.request_count

    def parallel(self, fn: Callable[[T], U], items: Iterable[T]) -> list[U]:
        """`[fn(i) for i in items]` on up to `client.concurrency` threads, in order.

        The first exception raised by `fn` propagates (after running calls finish);
        callers wanting per-item failures catch inside `fn`. Called from inside a worker
        (a bulk read's chunks within a per-customer task) it runs inline, so nested calls
        never exceed `concurrency` threads in total.
        """
        items = list(items)
        limit = self.client.concurrency
        if len(items) <= 1 or limit == 1 or getattr(self._local, "worker", False):
            return [fn(item) for item in items]

        def run(item: T) -> U:
            self._local.worker = True
            try:
                return fn(item)
            finally:
                self._local.worker = False

        with ThreadPoolExecutor(max_workers=min(limit, len(items))) as pool:
            return list(pool.map(run, items))

    def _list_in(self, path: str, field: str, values: Iterable[Any], fields: str, *,
                 conditions: str | None = None, partial: bool = False
                 ) -> tuple[list[Any], tuple[FailedRead, ...]]:
        """Records whose `field` is one of `values` (deduplicated) and that meet
        `conditions`, in chunked `in (...)` requests whose URLs stay under 2,000
        characters, run in parallel; no request at all for no values. `partial`: see
        `_read_each`."""
        wanted = list(dict.fromkeys(values))
        try:  # measuring a chunk's URL may need the site's codebase: a request of its own
            chunks = self.client.in_chunks_of(path, field, wanted, conditions=conditions,
                                              fields=fields)
        except ConnectWiseError as exc:
            if not partial:
                raise
            return [], (FailedRead(exc, tuple(wanted)),)
        requests: list[Request] = [(c, carried if partial else (), ())
                                   for c, carried in chunks]
        return self._read_each(path, fields, requests, partial=partial)

    def _read_each(self, path: str, fields: str, requests: list[Request], *,
                   partial: bool) -> tuple[list[Any], tuple[FailedRead, ...]]:
        """The raw records of every request (run in parallel). A request that fails is
        raised, or with `partial` becomes a FailedRead naming what it asked for."""

        def read(request: Request) -> list[Any] | FailedRead:
            condition, values, prefixes = request
            try:
                return self.client.list(path, conditions=condition, fields=fields)
            except ConnectWiseError as exc:
                if not partial:
                    raise
                return FailedRead(exc, values, prefixes)

        pages = self.parallel(read, requests)
        raws = [raw for page in pages if not isinstance(page, FailedRead) for raw in page]
        return raws, tuple(page for page in pages if isinstance(page, FailedRead))

    # -- companies ------------------------------------------------------------------------
    def companies(self, identifiers: Iterable[str]) -> Batch[Company]:
        raws, _ = self._list_in(COMPANIES, "identifier", identifiers, COMPANY_FIELDS)
        return _parsed(raws, parse.company, _owner("identifier", str), "GET", COMPANIES)

    def company_identifiers_like(self, prefix: str) -> list[str]:
        condition = cond.and_(cond.like("identifier", f"{prefix}*"),
                              cond.eq("deletedFlag", False))
        raws = self.client.get(COMPANIES, {"conditions": condition, "fields": COMPANY_FIELDS,
                                           "pageSize": SUGGESTION_PAGE, "page": 1})
        if not isinstance(raws, list):
            raise MalformedRecord("list of companies", f"the answer is {parse.kind_of(raws)}",
                                  method="GET", path=COMPANIES)
        found = _every(_parsed(raws, parse.company, _owner("identifier", str), "GET",
                               COMPANIES))
        return [c.identifier for c in found if c.identifier]

    # -- agreements -----------------------------------------------------------------------
    def agreements_of_companies(self, company_ids: Iterable[int]) -> Batch[Agreement]:
        raws, _ = self._list_in(AGREEMENTS, "company/id", company_ids, AGREEMENT_FIELDS)
        return _parsed(raws, parse.agreement, _owner("company/id", int), "GET", AGREEMENTS)

    def agreements_of_identifiers(self, identifiers: Iterable[str], *, partial: bool = False
                                  ) -> Batch[Agreement]:
        raws, failed = self._list_in(AGREEMENTS, "company/identifier", identifiers,
                                     AGREEMENT_FIELDS, partial=partial)
        found = _parsed(raws, parse.agreement, _owner("company/identifier", str), "GET",
                        AGREEMENTS)
        return Batch(found.records, found.malformed, failed)

    def active_agreements_of_types(self, types: Iterable[str]) -> Batch[Agreement]:
        condition = cond.and_(cond.in_("type/name", list(types)),
                              cond.eq("agreementStatus", "Active"),
                              cond.eq("cancelledFlag", False))
        raws = self.client.list(AGREEMENTS, conditions=condition, fields=AGREEMENT_FIELDS)
        return _parsed(raws, parse.agreement, _owner("company/identifier", str), "GET",
                       AGREEMENTS)

    # -- additions ------------------------------------------------------------------------
    def additions(self, agreement_ids: Iterable[int]) -> Batch[Addition]:
        ids = list(dict.fromkeys(int(i) for i in agreement_ids))

        def read(agreement_id: int) -> Batch[Addition]:
            path = additions_path(agreement_id)
            raws = self.client.list(path, fields=ADDITION_FIELDS)
            return _parsed(raws, lambda raw: parse.addition(raw, agreement_id),
                           lambda raw: agreement_id, "GET", path)

        parts = self.parallel(read, ids)
        return Batch(tuple(r for p in parts for r in p.records),
                     tuple(m for p in parts for m in p.malformed))

    def create_addition(self, agreement_id: int, new: NewAddition) -> Addition:
        # Required on create: product and billCustomer (connectwise-schemas.json, Addition).
        # The defaults of the others are undocumented (ConnectWise's OpenAPI document lists
        # quantity, lessIncluded and effectiveDate as optional, with no default; unverified
        # on a real site), so the ones that decide what is billed are written explicitly:
        # quantity (the desired one), lessIncluded 0 (an included amount would bill fewer
        # units than the billing ticket lists) and effectiveDate. unitPrice is left to the
        # catalog item's price (unverified that ConnectWise copies it; the price belongs to
        # the MSP's catalog, and the tool has none to write).
        body: dict[str, Any] = {
            "product": {"identifier": new.product},
            "billCustomer": new.bill_customer,
            "effectiveDate": cw_date(new.effective),
            "quantity": units(new.quantity),
            "lessIncluded": units(new.less_included),
        }
        path = additions_path(agreement_id)
        answer = self.client.post(path, body)
        return _created(answer, lambda raw: parse.addition(raw, agreement_id), "addition",
                        path)

    def cancel_addition(self, agreement_id: int, addition_id: int, on: date) -> None:
        self.client.patch(f"{additions_path(agreement_id)}/{int(addition_id)}",
                          replace_ops(cancelledDate=cw_date(on)))

    def update_addition(self, agreement_id: int, addition_id: int,
                        changes: dict[str, Any]) -> None:
        unknown = sorted(set(changes) - UPDATABLE_ADDITION_FIELDS)
        if unknown:
            raise ValueError(f"cannot write addition field(s) {', '.join(unknown)}")
        values = {name: cw_date(v) if isinstance(v, date) else v for name, v in changes.items()}
        if values.get("quantity") is not None:
            values["quantity"] = units(values["quantity"])
        self.client.patch(f"{additions_path(agreement_id)}/{int(addition_id)}",
                          replace_ops(**values))

    def set_quantity(self, agreement_id: int, addition_id: int, quantity: float) -> None:
        self.update_addition(agreement_id, addition_id, {"quantity": quantity})

    # -- tickets --------------------------------------------------------------------------
    def tickets(self, keys: Iterable[str] = (), key_prefixes: Iterable[str] = (), *,
                partial: bool = False) -> Batch[Ticket]:
        raws, failed = self._read_each(TICKETS, TICKET_FIELDS,
                                       key_requests(keys, key_prefixes), partial=partial)
        found = _parsed(raws, parse.ticket, _owner("externalXRef", str), "GET", TICKETS)
        unique = {t.id: t for t in reversed(found.records)}  # batches may overlap
        malformed = {str(m): m for m in found.malformed}
        return Batch(tuple(unique[i] for i in sorted(unique)), tuple(malformed.values()),
                     failed)

    def tickets_of_companies(self, identifiers: Iterable[str], key_prefixes: Iterable[str]
                             ) -> Batch[Ticket]:
        raws, _ = self._list_in(TICKETS, "company/identifier", identifiers, TICKET_FIELDS,
                                conditions=key_prefix_condition(key_prefixes))

        def owner(raw: Any) -> Any:
            return _owner("company/identifier", str)(raw) or _owner("externalXRef", str)(raw)

        found = _parsed(raws, parse.ticket, owner, "GET", TICKETS)
        unique = {t.id: t for t in found.records}
        return Batch(tuple(unique[i] for i in sorted(unique)), found.malformed)

    def any_ticket_with_key_prefix(self, key_prefixes: Iterable[str]) -> bool:
        condition = cond.or_(*(cond.like("externalXRef", f"{p}%") for p in key_prefixes))
        first = next(iter(self.client.iter_list(TICKETS, conditions=condition,
                                                fields=TICKET_FIELDS, page_size=1)), None)
        if first is None:
            return False
        _every(_parsed([first], parse.ticket, _owner("externalXRef", str), "GET", TICKETS))
        return True

    def create_ticket(self, new: NewTicket) -> Ticket:
        body: dict[str, Any] = {
            "summary": new.summary,
            "company": {"identifier": new.company},
            "board": {"id": new.board_id},
            "status": {"id": new.status_id},
            "priority": {"id": new.priority_id},
        }
        if new.type_id is not None:
            body["type"] = {"id": new.type_id}
        body["initialDescription"] = new.description
        if new.agreement_id is not None:
            body["agreement"] = {"id": new.agreement_id}
        body["externalXRef"] = new.key
        return _created(self.client.post(TICKETS, body), parse.ticket, "ticket", TICKETS)

    def ticket_text(self, ticket_id: int) -> str | None:
        # Which note holds a ticket's initialDescription is unverified (the sandbox flags
        # it detailDescriptionFlag): every note's text is returned, so what the send wrote
        # is found wherever ConnectWise keeps it.
        path = f"{TICKETS}/{int(ticket_id)}/notes"
        raws = self.client.list(path, fields=NOTE_FIELDS, order_by="id asc")
        texts = _every(_parsed(raws, parse.note_text, lambda raw: ticket_id, "GET", path))
        return "\n".join(texts) if texts else None

    def settle_duplicate_ticket(self, loser: Ticket, winner_id: int) -> Ticket:
        """Mark `loser` as a duplicate of ticket `winner_id`, then close it, by PATCH (the
        two steps of gateway/duplicates.py, each skipped when already done); the ticket as
        ConnectWise last answered it. ConnectWiseError when a step is refused or its answer
        does not show it done: what was done stays done, and the next run finishes."""
        path = f"{TICKETS}/{int(loser.id)}"
        current = loser
        if current.duplicate_of != winner_id:
            ops = replace_ops(summary=marked_summary(current.summary, winner_id))
            current = self._patched_ticket(path, ops)
            if current.duplicate_of != winner_id:
                raise UnusableAnswer(None, "", "the duplicate mark was accepted but the "
                                     "ticket does not show it", (), "PATCH", path)
        return self.close_ticket(current)

    def close_ticket(self, ticket: Ticket) -> Ticket:
        """Move `ticket` to a closed status of its board (nothing to do when closed)."""
        if ticket.closed:
            return ticket
        path = f"{TICKETS}/{int(ticket.id)}"
        status = self._closed_status(ticket)
        current = self._patched_ticket(path, replace_ops(status={"id": status.id}))
        if current.closed:
            return current
        # Unverified that ConnectWise's answer already shows closedFlag: the closed status
        # it shows is enough (the next read tells, and closing again costs one PATCH).
        if current.status.strip().casefold() == status.name.strip().casefold():
            return replace(current, closed=True)
        raise UnusableAnswer(None, "", f"the closed status '{status.name}' was accepted but "
                             "the ticket is still open", (), "PATCH", path)

    def _patched_ticket(self, path: str, ops: list[dict[str, Any]]) -> Ticket:
        answer = self.client.patch(path, ops)
        if not isinstance(answer, dict):
            raise MalformedRecord("patched ticket", f"the answer is {parse.kind_of(answer)}, "
                                  "expected the ticket", method="PATCH", path=path)
        try:
            return parse.ticket(answer)
        except parse.BadField as exc:
            raise MalformedRecord(exc.what, exc.problem, method="PATCH", path=path) from None

    def _closed_status(self, ticket: Ticket) -> Ref:
        """The status a settled duplicate is closed with: the active closed status of the
        ticket's own board with the lowest id (a status of another board is refused)."""
        if ticket.board_id is None:
            raise CannotSettle(f"ticket #{ticket.id} names no board, so no closed status "
                               "can be chosen for it")
        closed = [s for s in self.board_statuses(ticket.board_id) if s.closed and not s.inactive]
        if not closed:
            raise CannotSettle(f"board {ticket.board_id} of ticket #{ticket.id} has no active "
                               "closed status to close it with (add one in ConnectWise: "
                               "System > Setup Tables > Service Board > Statuses)")
        return closed[0]

    # -- the site itself (doctor) -----------------------------------------------------------
    def site(self) -> SiteFacts:
        try:
            codebase = self.client.codebase  # discovery first: its failure says the most
        except ConnectWiseError as exc:  # unreachable, 5xx: discovery itself failed
            raise SiteError(f"codebase discovery failed: {exc}") from exc
        answer, headers = self.client.get_with_headers(COMPANIES, PEEK)
        if not isinstance(answer, list):
            raise MalformedRecord("list of companies", f"the answer is {parse.kind_of(answer)}",
                                  method="GET", path=COMPANIES)
        return SiteFacts(codebase, self.client.api_version,
                         headers.get("api-current-version") or None,
                         _http_date(headers.get("date")))

    def read_access(self) -> list[Access]:
        found: dict[str, list[Any]] = {}

        def peek(resource: str, path: str, shown: str | None = None) -> Access:
            try:
                answer = self.client.get(path, PEEK)
            except ConnectWiseError as exc:
                return Access(resource, shown or path, exc)
            if not isinstance(answer, list):
                return Access(resource, shown or path, MalformedRecord(
                    f"list of {resource}", f"the answer is {parse.kind_of(answer)}",
                    method="GET", path=path))
            found[resource] = answer
            return Access(resource, shown or path)

        def child(resource: str, parent: str, template: str) -> Access:
            first = next((r.get("id") for r in found.get(parent, []) if isinstance(r, dict)),
                         None)
            if not isinstance(first, int) or isinstance(first, bool):
                return Access(resource, template, skipped=f"no {parent[:-1]} to read them of")
            return peek(resource, template.replace("{id}", str(first)), template)

        out = [peek(resource, path) for resource, path in (
            ("companies", COMPANIES), ("agreements", AGREEMENTS),
            ("agreement types", AGREEMENT_TYPES), ("catalog items", CATALOG),
            ("tickets", TICKETS), ("boards", BOARDS), ("priorities", PRIORITIES))]
        out += [child("agreement additions", "agreements", f"{AGREEMENTS}/{{id}}/additions"),
                child("ticket notes", "tickets", f"{TICKETS}/{{id}}/notes"),
                child("board statuses", "boards", f"{BOARDS}/{{id}}/statuses"),
                child("board types", "boards", f"{BOARDS}/{{id}}/types")]
        return out

    def agreement_types(self, names: Iterable[str]) -> list[Ref]:
        raws, _ = self._list_in(AGREEMENT_TYPES, "name", names, AGREEMENT_TYPE_FIELDS)
        return _every(_parsed(raws, parse.agreement_type, lambda raw: None, "GET",
                              AGREEMENT_TYPES))

    def catalog_items(self, identifiers: Iterable[str]) -> list[CatalogItem]:
        raws, _ = self._list_in(CATALOG, "identifier", identifiers, CATALOG_FIELDS)
        return _every(_parsed(raws, parse.catalog_item, lambda raw: None, "GET", CATALOG))

    # -- where tickets go -----------------------------------------------------------------
    def _refs(self, path: str, noun: str) -> list[Ref]:
        raws = self.client.list(path, fields=REF_FIELDS)
        return _every(_parsed(raws, lambda raw: parse.ref(raw, noun), lambda raw: None, "GET",
                              path))

    def boards(self) -> list[Ref]:
        return self._refs(BOARDS, "board")

    def board_statuses(self, board_id: int) -> list[Ref]:
        path = f"{BOARDS}/{int(board_id)}/statuses"
        raws = self.client.list(path, fields=STATUS_FIELDS)
        return _every(_parsed(raws, parse.board_status, lambda raw: None, "GET", path))

    def board_types(self, board_id: int) -> list[Ref]:
        return self._refs(f"{BOARDS}/{int(board_id)}/types", "type")

    def priorities(self) -> list[Ref]:
        return self._refs(PRIORITIES, "priority")
