"""What the contract tests may expect of the ConnectWise they run against.

For the sandbox and the fake it is read from the packaged seed, with its own simple
reading of the seed (independent of both implementations). For a real site it is read
from the site with the plain REST client, never the gateway (site_world.py). A site may
lack some things (a deleted company, a cancelled addition): those fields are None there,
and the tests that need them say so with `need` (never for the seeded worlds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import pytest

from reconciler.sandbox.seed import load_seed

T = TypeVar("T")


def need(value: T | None, what: str) -> T:
    """`value`, or skip the test: the site it runs against has no `what` (only ever on a
    real site; the seeded worlds have everything)."""
    if value is None:
        pytest.skip(f"the site has no {what}")
    return value


@dataclass(frozen=True)
class World:
    company: str  # an identifier that exists (live)
    company_name: str
    company_id: int
    agreement_ids: frozenset[int]  # every agreement of that company
    near_identifier: str | None  # another live identifier sharing the first two characters
    deleted_company: str | None  # an identifier of a deleted company
    missing_company: str  # an identifier no company has
    inactive_agreement: int | None  # an agreement of some company that is cancelled or expired
    inactive_company: str | None  # ... that company
    agreement_type: str
    active_of_type: frozenset[int]  # active, not cancelled agreements of that type
    agreement_with_additions: int | None
    additions: dict[int, tuple[str, float | None, str | None]]  # id -> product, qty, bill
    cancelled_addition: int | None  # on agreement_with_additions, cancelled on `cancelled_on`
    cancelled_on: date | None
    board: str
    board_statuses: frozenset[str]
    closed_statuses: frozenset[str]  # the board's statuses that close a ticket
    board_types: frozenset[str]
    priorities: frozenset[str]
    ticket_with_notes: int | None  # a ticket whose notes hold `note_text` ...
    note_text: str | None
    ticket_without_notes: int | None  # ... and one without notes
    writable_agreement: int | None  # write tests: an active agreement ...
    writable_company: str | None  # ... of this company
    catalog_item: str | None  # a catalog item that may be added to it
    inactive_catalog_item: str | None  # read-only: a catalog item marked inactive
    catalog_item_price: float | None  # catalog_item's price (None: it has none)
    api_version: str | None  # the API version the gateway asks for
    run: str = ""  # in keys the write tests make: unique per run on a real site

    def key(self, label: str) -> str:
        """A key for the write tests (labels are chosen by each test)."""
        return f"tmrm:contract:{self.writable_company}:{self.run}{label}"


def seed_world() -> World:
    seed = load_seed(None)
    agreements = seed["agreements"]

    def active(a: dict) -> bool:
        return not a.get("cancelledFlag") and a.get("agreementStatus", "Active") == "Active"

    acme = next(c for c in seed["companies"] if c["identifier"] == "ACME")
    stark_inactive = next(a for a in agreements if a["company"] == "STARK" and not active(a))
    globex = next(a for a in agreements if a["company"] == "GLOBEX")
    cancelled = next(x for x in globex["additions"] if x.get("cancelledDate"))
    billing = next(b for b in seed["boards"] if b["name"] == "Trend Micro Billing")
    noted = next(t for t in seed["tickets"] if t.get("notes"))
    bare = next(t for t in seed["tickets"] if not t.get("notes"))
    return World(
        company="ACME",
        company_name=acme["name"],
        company_id=acme["id"],
        agreement_ids=frozenset(a["id"] for a in agreements if a["company"] == "ACME"),
        near_identifier="ACMECO",
        deleted_company=next(c["identifier"] for c in seed["companies"]
                             if c.get("deletedFlag")),
        missing_company="NOSUCHCOMPANY",
        inactive_agreement=stark_inactive["id"],
        inactive_company="STARK",
        agreement_type="TMRM Management Solution",
        active_of_type=frozenset(a["id"] for a in agreements
                                 if a["type"] == "TMRM Management Solution" and active(a)),
        agreement_with_additions=globex["id"],
        additions={x["id"]: (x["product"], x.get("quantity"), x.get("billCustomer"))
                   for x in globex["additions"]},
        cancelled_addition=cancelled["id"],
        cancelled_on=date.fromisoformat(cancelled["cancelledDate"][:10]),
        board=billing["name"],
        board_statuses=frozenset(s["name"] for s in billing["statuses"]),
        closed_statuses=frozenset(s["name"] for s in billing["statuses"]
                                  if s.get("closedStatus")),
        board_types=frozenset(t["name"] for t in billing["types"]),
        priorities=frozenset(p["name"] for p in seed["priorities"]),
        ticket_with_notes=noted["id"],
        note_text=noted["notes"][0]["text"],
        ticket_without_notes=bare["id"],
        writable_agreement=next(a["id"] for a in agreements if a["company"] == "ACME"),
        writable_company="ACME",
        catalog_item="TM-APEXONE",
        inactive_catalog_item=next(c["identifier"] for c in seed["catalog"]
                                   if c.get("inactiveFlag")),
        catalog_item_price=next(c["price"] for c in seed["catalog"]
                                if c["identifier"] == "TM-APEXONE"),
        api_version="2025.1",
    )
