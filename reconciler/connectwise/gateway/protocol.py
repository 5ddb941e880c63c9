"""The Gateway: everything the product asks of ConnectWise, in bulk and typed.

Plan, apply, verify, import and the sends depend on this Protocol only. `HttpGateway`
implements it over the REST client (and is the one place that knows ConnectWise's paths,
`fields=` lists and `conditions`); the tests have an in-memory fake, and one contract
suite holds every implementation to the same answers.

Bulk reads return a `Batch`: the well-formed records, and the malformed ones, each tied
to what it belongs to, so that a bad record fails only the customers depending on it and
never reads as "nothing there". Failures of a whole request (transport, 5xx, an answer
that is not a list) raise `ConnectWiseError`; the reads a scheduled run makes for many
customers at once take `partial=True` instead, and get each failed request back in
`Batch.failed` with what it asked for, so that it fails only the customers it concerns.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

from reconciler.connectwise.errors import ConnectWiseError
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

R = TypeVar("R")
T = TypeVar("T")
U = TypeVar("U")

# The addition fields `update_addition` may write, by the names plans show them.
UPDATABLE_ADDITION_FIELDS = frozenset({"billCustomer", "cancelledDate", "quantity"})


@dataclass(frozen=True)
class FailedRead:
    """One request of a `partial` bulk read that failed even after the client's retries:
    the values (identifiers, ids, keys) and key prefixes it asked for, and why."""

    error: ConnectWiseError
    values: tuple[Any, ...] = ()
    prefixes: tuple[str, ...] = ()

    def concerns(self, value: Any, *, fold: Callable[[Any], Any] = lambda v: v) -> bool:
        """Whether `value` was asked for by this request (as itself or by a prefix)."""
        folded = fold(value)
        return (any(fold(v) == folded for v in self.values)
                or any(str(folded).startswith(str(fold(p))) for p in self.prefixes))


@dataclass(frozen=True)
class Batch(Generic[R]):
    """What one bulk read found."""

    records: tuple[R, ...] = ()
    malformed: tuple[MalformedRecord, ...] = ()
    failed: tuple[FailedRead, ...] = ()  # only for partial=True reads

    def failure(self, value: Any, *, fold: Callable[[Any], Any] = lambda v: v
                ) -> FailedRead | None:
        """The failed request that asked for `value`, if any: what it would have found is
        unknown (never "nothing there")."""
        return next((f for f in self.failed if f.concerns(value, fold=fold)), None)

    def problem(self, owner: Hashable, *, fold: Callable[[Any], Any] = lambda o: o
                ) -> MalformedRecord | None:
        """The first malformed record that concerns `owner` (owners compared after
        `fold`, e.g. a case fold for identifiers); one whose owner could not be read
        concerns every owner."""
        for error in self.malformed:
            if error.owner is None or fold(error.owner) == fold(owner):
                return error
        return None


class Gateway(Protocol):
    """ConnectWise as the tool uses it."""

    @property
    def request_count(self) -> int:
        """Requests made so far (for reports of what a command cost)."""
        ...

    def parallel(self, fn: Callable[[T], U], items: Iterable[T]) -> list[U]:
        """`[fn(i) for i in items]` with the bounded concurrency of the site, in order."""
        ...

    # -- companies ------------------------------------------------------------------------
    def companies(self, identifiers: Iterable[str]) -> Batch[Company]:
        """The companies with these identifiers (compared as ConnectWise compares text,
        without regard to case); malformed ones owned by their identifier."""
        ...

    def company_identifiers_like(self, prefix: str) -> list[str]:
        """Identifiers of live companies starting with `prefix` (one bounded page): the
        candidates for "did you mean" suggestions."""
        ...

    # -- agreements -----------------------------------------------------------------------
    def agreements_of_companies(self, company_ids: Iterable[int]) -> Batch[Agreement]:
        """Every agreement of these companies; malformed ones owned by company id."""
        ...

    def agreements_of_identifiers(self, identifiers: Iterable[str], *, partial: bool = False
                                  ) -> Batch[Agreement]:
        """Every agreement of the companies with these identifiers; malformed ones owned
        by company identifier. `partial`: a failed request is in `failed` (with the
        identifiers it asked for), not raised."""
        ...

    def active_agreements_of_types(self, types: Iterable[str]) -> Batch[Agreement]:
        """Active, not cancelled agreements of these type names, of any company;
        malformed ones owned by company identifier."""
        ...

    # -- additions ------------------------------------------------------------------------
    def additions(self, agreement_ids: Iterable[int]) -> Batch[Addition]:
        """Every addition of these agreements; malformed ones owned by agreement id."""
        ...

    def create_addition(self, agreement_id: int, new: NewAddition) -> Addition:
        """Create an addition; never repeated blindly (the next read tells)."""
        ...

    def cancel_addition(self, agreement_id: int, addition_id: int, on: date) -> None:
        """Set the addition's cancelledDate (never deleted: billing history stays)."""
        ...

    def update_addition(self, agreement_id: int, addition_id: int,
                        changes: dict[str, Any]) -> None:
        """Write fields of an addition by the names plans show them
        (`UPDATABLE_ADDITION_FIELDS`; `cancelledDate: None` clears it)."""
        ...

    def set_quantity(self, agreement_id: int, addition_id: int, quantity: float) -> None:
        ...

    # -- tickets --------------------------------------------------------------------------
    def tickets(self, keys: Iterable[str] = (), key_prefixes: Iterable[str] = (), *,
                partial: bool = False) -> Batch[Ticket]:
        """Tickets whose key is one of `keys` or starts with one of `key_prefixes` (as
        ConnectWise compares text), in as few requests as URLs allow. The answer may hold
        other tickets too: callers keep the ones they asked about. Malformed ones are
        owned by their key. `partial`: a failed request is in `failed` (with the keys and
        prefixes it asked for), not raised."""
        ...

    def tickets_of_companies(self, identifiers: Iterable[str], key_prefixes: Iterable[str]
                             ) -> Batch[Ticket]:
        """Tickets of these companies (by identifier, without regard to case) whose key
        starts with one of `key_prefixes`, in chunked requests; malformed ones owned by
        their company's identifier (or their key when the company cannot be read)."""
        ...

    def any_ticket_with_key_prefix(self, key_prefixes: Iterable[str]) -> bool:
        """Whether some ticket's key starts with one of the prefixes (one small read)."""
        ...

    def create_ticket(self, new: NewTicket) -> Ticket:
        """Create a ticket carrying `new.key`; never repeated blindly."""
        ...

    def ticket_text(self, ticket_id: int) -> str | None:
        """The text of every note of a ticket (its initial description among them), oldest
        first; None when it has none."""
        ...

    def settle_duplicate_ticket(self, loser: Ticket, winner_id: int) -> Ticket:
        """Settle a losing duplicate of a key by PATCH (never DELETE: the API member's
        role has none): mark it as a duplicate of `winner_id` and close it, each step
        skipped when done; returns the ticket as settled (`duplicate_of == winner_id`,
        closed). Raises ReconcilerError (a refused PATCH, a board without a closed status)
        leaving what was done in place; calling again finishes the job."""
        ...

    def close_ticket(self, ticket: Ticket) -> Ticket:
        """Move a ticket to a closed status of its board (the active one with the lowest
        id) by PATCH; nothing to do for a closed one. Raises like settling does."""
        ...

    # -- the site itself (doctor) -----------------------------------------------------------
    def site(self) -> SiteFacts:
        """Discover the codebase and make one small authenticated read: what the site says
        about itself. Raises SiteError when discovery fails (however it fails), else what
        the read raises (Unauthorized, BadRequest for an API version it does not serve,
        ...)."""
        ...

    def read_access(self) -> list[Access]:
        """One small read of each kind of record the tool reads (companies, agreements,
        agreement types, catalog items, tickets, boards, priorities, and the additions,
        notes, statuses and types under the first parent found): whether the API member
        may read it. Never raises ConnectWiseError: each refusal is in its Access."""
        ...

    def agreement_types(self, names: Iterable[str]) -> list[Ref]:
        """The agreement types with these names (with their `inactive` flag)."""
        ...

    def catalog_items(self, identifiers: Iterable[str]) -> list[CatalogItem]:
        """The catalog items with these identifiers."""
        ...

    # -- where tickets go -----------------------------------------------------------------
    def boards(self) -> list[Ref]: ...

    def board_statuses(self, board_id: int) -> list[Ref]:
        """The board's statuses, with their `closed` and `inactive` flags."""
        ...

    def board_types(self, board_id: int) -> list[Ref]: ...

    def priorities(self) -> list[Ref]: ...
