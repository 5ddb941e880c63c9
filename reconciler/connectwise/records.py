"""Typed ConnectWise records: what the gateway reads and writes, parsed once at the boundary.

Only the fields the tool uses are kept, each with the type ConnectWise documents for it
(the public OpenAPI document, see /work/shared/reference/connectwise-schemas.json: ids
int32, flags and numbers nullable). Dates stay in ConnectWise's own text (plans show them
as read) with the parsed day beside them. A record that does not have this shape never
becomes one of these: the gateway raises `MalformedRecord` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from reconciler.connectwise.errors import ConnectWiseError


def day_of(value: str | None) -> date | None:
    """The date part of a ConnectWise datetime such as `2026-11-25T00:00:00Z` (None for
    no date); ValueError for text that is not one."""
    if not value:
        return None
    return date.fromisoformat(value[:10])


def instant_of(value: str | None) -> datetime | None:
    """A ConnectWise datetime (`2026-11-25T18:07:42Z`, UTC) as an aware datetime (None for
    none); ValueError for text that is not one, or one without a time zone."""
    if not value:
        return None
    found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if found.tzinfo is None:
        raise ValueError("a datetime without a time zone")
    return found


@dataclass(frozen=True)
class Ref:
    """A named ConnectWise object tickets point to: a board, status, priority or type.

    For a board's statuses, `closed` is ConnectWise's `closedStatus` (a ticket moved to it
    is closed) and `inactive` its `inactive` flag; other kinds leave both False."""

    id: int
    name: str
    closed: bool = False
    inactive: bool = False


@dataclass(frozen=True)
class Company:
    id: int
    identifier: str
    name: str
    deleted: bool = False
    last_updated: str | None = None


@dataclass(frozen=True)
class Agreement:
    id: int
    name: str
    type_name: str
    company_id: int
    company_identifier: str
    company_name: str = ""
    status: str = ""  # agreementStatus: Active, Cancelled, Expired, Inactive
    cancelled: bool = False
    last_updated: str | None = None

    @property
    def active(self) -> bool:
        """Active and not cancelled: the only agreements products may be billed on (a
        record without agreementStatus counts as active unless cancelled)."""
        return not self.cancelled and self.status in ("", "Active")


@dataclass(frozen=True)
class Addition:
    id: int
    agreement_id: int
    product: str  # the catalog item's identifier
    quantity: float | None = None
    unit_price: float | None = None
    bill_customer: str | None = None  # Billable, DoNotBill, NoCharge
    effective_date: str | None = None  # as ConnectWise wrote it
    cancelled_date: str | None = None  # as ConnectWise wrote it
    last_updated: str | None = None

    def __post_init__(self) -> None:
        for name in ("effective_date", "cancelled_date"):
            try:
                day_of(getattr(self, name))
            except ValueError:
                raise ValueError(f"{name} is not a ConnectWise date") from None

    @property
    def cancelled_on(self) -> date | None:
        return day_of(self.cancelled_date)

    def live_on(self, today: date) -> bool:
        """Not cancelled as of `today` (a cancelledDate in the future still bills until
        then)."""
        cancelled = self.cancelled_on
        return cancelled is None or cancelled > today


@dataclass(frozen=True)
class Ticket:
    id: int
    key: str  # externalXRef: the idempotency key of the send it records ("" for none)
    summary: str = ""
    company: str = ""  # the company's identifier
    closed: bool = False
    status: str = ""
    entered: str | None = None  # when ConnectWise entered it, as ConnectWise wrote it
    board_id: int | None = None
    # Contract 4: the winner this ticket was settled as a duplicate of (the lowest ticket
    # id of its key), however ConnectWise shows it (see gateway/duplicates.py); None for a
    # ticket that is not a settled duplicate. Readers of keys ignore settled losers.
    duplicate_of: int | None = None

    @property
    def entered_at(self) -> datetime | None:
        return instant_of(self.entered)


@dataclass(frozen=True)
class CatalogItem:
    """A procurement catalog item (what an addition's `product` names)."""

    id: int
    identifier: str
    inactive: bool = False
    # The item's price (CatalogItem.price, nullable Float64 in ConnectWise's OpenAPI
    # document, reference/connectwise-schemas.json): what a reviewer's billing impact
    # prices a new addition at. That ConnectWise copies it onto a new addition's unitPrice
    # is unverified (the sandbox does); the impact says "catalog price" where it uses it.
    price: float | None = None


@dataclass(frozen=True)
class SiteFacts:
    """What a ConnectWise site said about itself on an authenticated read."""

    codebase: str  # e.g. `v2025_1/`, from /login/companyinfo
    api_version: str | None  # the model version asked for (None: the latest)
    current_version: str | None  # the `api-current-version` header, when sent
    server_time: datetime | None  # the `Date` header, when sent


@dataclass(frozen=True)
class Access:
    """Whether the API member may read one kind of record the tool reads."""

    resource: str  # e.g. "companies", "agreement additions"
    path: str  # the read tried, e.g. /finance/agreements/{id}/additions
    error: ConnectWiseError | None = None  # None: readable (unless skipped)
    skipped: str = ""  # why it was not tried (e.g. no agreement to read additions of)


@dataclass(frozen=True)
class NewAddition:
    """An addition to create on an agreement. Every field whose ConnectWise default is
    undocumented is written explicitly (see `HttpGateway.create_addition`)."""

    product: str  # the catalog item's identifier
    bill_customer: str
    effective: date
    quantity: float  # its desired quantity: the latest billed units (0 before any billing)
    less_included: float = 0.0  # units not billed; the tool bills every unit it writes


@dataclass(frozen=True)
class NewTicket:
    """A ticket to create for one send, carrying its idempotency key."""

    key: str
    summary: str
    company: str  # the company's identifier
    description: str
    board_id: int
    status_id: int
    priority_id: int
    type_id: int | None = None
    agreement_id: int | None = None


class MalformedRecord(ConnectWiseError):
    """ConnectWise answered a record that does not have the documented shape.

    `owner` is what the record belongs to as far as it could be read (a company
    identifier, a company or agreement id, a ticket key), or None when even that is
    unreadable: then it concerns everything the read was for. Values are never echoed
    (a server could put anything there); only their kind is named.
    """

    verb = "answered"

    def __init__(self, what: str, problem: str, *, method: str, path: str,
                 owner: object = None) -> None:
        self.what = what
        self.problem = problem
        self.owner = owner
        super().__init__(None, "", f"a malformed {what}: {problem}", (), method, path)

    def _sentence(self) -> str:
        return f"ConnectWise answered {self.method} {self.path} with {self.message}"
