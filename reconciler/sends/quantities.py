"""A billing's quantities against what else was billed: never roll back, always converge.

Two runs may bill one company at once (a stalled network, a 429's Retry-After, a hand run
beside the hourly one), and a run may be asked to send an old month (`--at`, send-now
`--period`). ConnectWise's billing tickets decide (`domain.billed`):
- before writing, the company's billing tickets are read (one request, which is also the
  "already sent?" check of the key): a month older than the latest one billed is a
  ticket only, its units never written over the later month's;
- after its ticket, a billing that wrote quantities reads the billing tickets again
  (reading its own ticket back, which delivery needs anyway) and converges: when a later
  billing exists, or its own write may have been overtaken, the additions it touched are
  set to the latest billing's units (its note read only when the digest of the
  additions' quantities is not the latest ticket's tag), and read again until the latest
  billing stays put. So whichever run finishes last leaves the latest billed units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from reconciler.connectwise.gateway import Gateway
from reconciler.connectwise.records import Ticket
from reconciler.domain import records
from reconciler.domain.billed import (
    BILLING_KEYS,
    Billing,
    billed_units,
    billings,
    read_record,
)
from reconciler.domain.fold import fold
from reconciler.errors import ReconcilerError
from reconciler.sends.content import BillingLine

ROUNDS = 3  # a later billing appearing between our reads again and again is absurd


class QuantitiesUnsettled(ReconcilerError):
    """The additions a billing wrote may not hold the latest billed units."""


@dataclass(frozen=True)
class CompanyBillings:
    """Every billing ticket of one company, read at once."""

    tickets: tuple[Ticket, ...]
    sends: tuple[Billing, ...]  # one per key, oldest month first

    @property
    def latest(self) -> Billing | None:
        return self.sends[-1] if self.sends else None

    def of_key(self, key: str) -> list[Ticket]:
        """Tickets carrying `key` (any case), lowest id first."""
        return sorted((t for t in self.tickets if fold(t.key) == fold(key)),
                      key=lambda t: t.id)


def read_billings(gateway: Gateway, company: str, tz: ZoneInfo) -> CompanyBillings:
    """The company's billing tickets (one request); a malformed one raises."""
    found = gateway.tickets_of_companies([company], [BILLING_KEYS])
    if found.malformed:
        raise found.malformed[0]
    return CompanyBillings(found.records, tuple(billings(found.records, company, tz)))


def _live_units(gateway: Gateway, lines: Sequence[BillingLine]) -> dict[str, float]:
    """What the additions a billing wrote hold now (read again)."""
    current = gateway.additions(sorted({line.agreement_id for line in lines}))
    if current.malformed:
        raise current.malformed[0]
    by_id = {x.id: x for x in current.records}
    out = {}
    for line in lines:
        addition = by_id.get(line.addition_id)
        if addition is None:
            raise QuantitiesUnsettled(f"addition {line.addition_id} ({line.product}) is gone "
                                      "since it was billed")
        out[line.product] = float(addition.quantity or 0)
    return out


def converge(gateway: Gateway, company: str, tz: ZoneInfo, sent: Mapping, lines:
             Sequence[BillingLine], seen: CompanyBillings) -> str:
    """After a billing that wrote `lines` and recorded `sent` (its record): make those
    additions hold the latest billing's units. `seen` is the billing tickets read right
    after delivery. Returns a note for the run's report ("" when nothing else happened)."""
    note = ""
    for _ in range(ROUNDS):
        latest = seen.latest
        if latest is None:
            raise QuantitiesUnsettled("its billing ticket cannot be read back")
        ours = fold(latest.ticket.key) == fold(sent["key"])
        if ours and not note and (records.summary_digest(latest.ticket.summary)
                                  == records.digest(sent)):
            return ""  # ours is the latest: what we wrote is what should be there
        live = _live_units(gateway, lines)
        expected = records.billing_record(latest.ticket.key, live)
        units = billed_units(read_record(latest.ticket, expected, gateway.ticket_text))
        if units is None:
            raise QuantitiesUnsettled(
                f"the latest billing, {latest.describe()}, carries no readable record of "
                "its units, so the quantities this billing wrote cannot be checked")
        wrong = [line for line in lines if live[line.product] != units.get(line.product, 0.0)]
        for line in wrong:
            gateway.set_quantity(line.agreement_id, line.addition_id,
                                 units.get(line.product, 0.0))
        if not wrong:
            return note
        note = (f"a later billing, {latest.describe()}, was made meanwhile: its units were "
                f"written back ({', '.join(line.product for line in wrong)})")
        again = read_billings(gateway, company, tz)
        if again.latest is not None and again.latest.ticket.id == latest.ticket.id:
            return note
        seen = again
    raise QuantitiesUnsettled("billings kept arriving while its quantities were settled")
