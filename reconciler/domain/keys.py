"""Idempotency keys: what a send is, stored in its ticket's `externalXRef`.

`tmrm:<kind>:<COMPANY>:<period>`, e.g. `tmrm:billing:ACME:2026-11`,
`tmrm:hes:ACME:2026-W47`, `tmrm:tmems:ACME:2026-11-24`; "send now" billing is
`tmrm:billing-now:ACME:2026-11-25T18:57Z` (the UTC minute it was asked for). COMPANY is the
company identifier as ConnectWise holds it; keys compare without regard to case (`fold`).

Two marks keep a period's state in ConnectWise besides its send (`sends.marks`):
`tmrm:owed-<tag>:ACME:<period>` records a period that is owed and was not sent (a missed
period, a customer's failed first period), so every later run reports it until it is
sent or waived; `tmrm:waived-<tag>:ACME:<period>` records that someone decided it is not
to be sent. Both start with `MARK_PREFIXES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from reconciler.schedule import Kind

PREFIX = "tmrm"
KIND_TAGS: dict[str, str] = {
    "billing": "billing",
    "hosted_email_security": "hes",
    "email_security": "tmems",
}
TAG_KINDS = {tag: kind for kind, tag in KIND_TAGS.items()}
NOW_TAG = "billing-now"
OWED, WAIVED = "owed", "waived"
MARK_PREFIXES = (f"{PREFIX}:{OWED}-", f"{PREFIX}:{WAIVED}-")


def send_key(kind: Kind, company: str, label: str) -> str:
    """The key of one scheduled send."""
    return kind_prefix(kind, company) + label


def kind_prefix(kind: Kind | str, company: str) -> str:
    """What every key of one company's sends of one kind starts with."""
    return f"{PREFIX}:{KIND_TAGS[kind]}:{company}:"


def billing_prefixes(company: str) -> tuple[str, str]:
    """What every billing key of a company starts with: scheduled and send-now."""
    return kind_prefix("billing", company), f"{PREFIX}:{NOW_TAG}:{company}:"


def mark_key(mark: str, kind: Kind | str, company: str, label: str) -> str:
    """The key of a mark (OWED or WAIVED) on one period of a company's sends of a kind."""
    return f"{PREFIX}:{mark}-{KIND_TAGS[kind]}:{company}:{label}"


def now_key(company: str, at: datetime) -> str:
    """The key of a "send now" billing: one per company and UTC minute."""
    return f"{PREFIX}:{NOW_TAG}:{company}:{at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


@dataclass(frozen=True)
class ParsedKey:
    tag: str  # billing, hes, tmems or billing-now
    company: str
    label: str

    @property
    def kind(self) -> str | None:
        """The kind of send this key is (a mark's: the kind it marks)."""
        return TAG_KINDS.get(self.tag) or TAG_KINDS.get(self.tag.partition("-")[2]
                                                         if self.mark else "")

    @property
    def mark(self) -> str | None:
        """OWED or WAIVED for a mark's key, else None."""
        head = self.tag.partition("-")[0]
        return head if head in (OWED, WAIVED) and "-" in self.tag else None


def parse_key(key: str) -> ParsedKey | None:
    """The parts of one of our keys, or None for anything else."""
    parts = (key or "").split(":")
    # a billing-now label holds a colon (HH:MM): everything after the company is the label
    if len(parts) < 4 or parts[0].casefold() != PREFIX:
        return None  # ConnectWise compares keys without regard to case: so do we
    return ParsedKey(parts[1].casefold(), parts[2], ":".join(parts[3:]))


class _Ticket(Protocol):
    id: int
    duplicate_of: int | None


T = TypeVar("T", bound=_Ticket)


def record_of(tickets: Sequence[T]) -> T | None:
    """The ticket that records a key's send (contract 4): the lowest id not marked as a
    duplicate. When every ticket of the key is a marked duplicate (its winner deleted by
    hand), the lowest: the key was sent, and money first means it is never sent again."""
    ordered = sorted(tickets, key=lambda t: t.id)
    return next((t for t in ordered if t.duplicate_of is None), ordered[0] if ordered else None)
