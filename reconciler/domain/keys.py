"""Idempotency keys: what a send is, stored in its ticket's `externalXRef`.

`tmrm:<kind>:<COMPANY>:<period>`, e.g. `tmrm:billing:ACME:2026-11`,
`tmrm:hes:ACME:2026-W47`, `tmrm:tmems:ACME:2026-11-24`; "send now" billing is
`tmrm:billing-now:ACME:2026-11-25T18:57Z` (the UTC minute it was asked for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler.schedule import Kind

PREFIX = "tmrm"
KIND_TAGS: dict[str, str] = {
    "billing": "billing",
    "hosted_email_security": "hes",
    "email_security": "tmems",
}
TAG_KINDS = {tag: kind for kind, tag in KIND_TAGS.items()}
NOW_TAG = "billing-now"


def send_key(kind: Kind, company: str, label: str) -> str:
    """The key of one scheduled send."""
    return kind_prefix(kind, company) + label


def kind_prefix(kind: Kind | str, company: str) -> str:
    """What every key of one company's sends of one kind starts with."""
    return f"{PREFIX}:{KIND_TAGS[kind]}:{company}:"


def billing_prefixes(company: str) -> tuple[str, str]:
    """What every billing key of a company starts with: scheduled and send-now."""
    return kind_prefix("billing", company), f"{PREFIX}:{NOW_TAG}:{company}:"


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
        return TAG_KINDS.get(self.tag)


def parse_key(key: str) -> ParsedKey | None:
    """The parts of one of our keys, or None for anything else."""
    parts = (key or "").split(":")
    # a billing-now label holds a colon (HH:MM): everything after the company is the label
    if len(parts) < 4 or parts[0] != PREFIX:
        return None
    return ParsedKey(parts[1], parts[2], ":".join(parts[3:]))
