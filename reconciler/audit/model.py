"""The audit's output: one row per customer, send kind and period, and the findings.

A finding names what it comes from (ticket, addition, commit, source row) and has a
severity: `money` (a customer may be billed wrongly or not at all), `warning` (a
summary or a record that is wrong or cannot be checked) or `notice` (late but sent, a
race already settled). `--fail-on` picks the lowest severity that fails the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from reconciler.config.model import frozen_map

FORMAT_VERSION = 1

Severity = Literal["money", "warning", "notice"]
SEVERITIES: tuple[Severity, ...] = ("money", "warning", "notice")  # most serious first

# kind -> (severity for billing, severity for summaries, what it means)
FINDING_KINDS: dict[str, tuple[Severity, Severity, str]] = {
    "missed": ("money", "warning", "due and never sent"),
    "late": ("notice", "notice", "sent late (caught up by a later run)"),
    "settled_duplicate": ("notice", "notice", "a second ticket for one key, settled"),
    "unsettled_duplicate": ("money", "warning", "a second ticket for one key, not settled"),
    "quantity_mismatch": ("money", "money", "billed units differ from the source's"),
    "addition_changed": ("money", "money", "addition quantity changed outside the tool"),
    "sent_while_disabled": ("money", "warning", "sent while the policy had it off"),
    "sent_not_due": ("money", "warning", "sent for a period that was not due"),
    "product_not_billed": ("money", "money", "billed a product the policy did not bill"),
    "counts_mismatch": ("warning", "warning", "summary counts differ from the source's"),
    "unverified": ("warning", "warning", "the record or the source is missing"),
    "waived": ("notice", "notice", "waived: decided not to be sent"),
}

# Row statuses: how a period's send went.
Status = Literal["on_time", "late", "missed", "pending", "not_due", "disabled", "sent_now",
                 "waived", "covered", "partial"]
STATUSES: tuple[Status, ...] = (
    "on_time", "late", "missed", "pending", "not_due", "disabled", "sent_now", "waived",
    "covered", "partial")

FAIL_ON = ("money", "warning", "any", "none")  # --fail-on choices


def severity_of(kind: str, send_kind: str) -> Severity:
    billing, summary, _ = FINDING_KINDS[kind]
    return billing if send_kind.startswith("billing") else summary


@dataclass(frozen=True)
class Finding:
    """One thing an auditor should look at, and where it comes from."""

    kind: str  # a key of FINDING_KINDS
    severity: Severity
    customer: str  # slug
    company: str
    send: str  # billing | hosted_email_security | email_security | billing-now
    period: str  # label
    message: str
    ticket: int | None = None
    addition: int | None = None
    commit: str | None = None  # the policy in force that the finding judged by
    source: str | None = None  # the source row (file:line, LMPI) compared with

    @property
    def money(self) -> bool:
        return self.severity == "money"

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "money": self.money,
            "customer": self.customer,
            "company": self.company,
            "send": self.send,
            "period": self.period,
            "message": self.message,
            "ticket": self.ticket,
            "addition": self.addition,
            "commit": self.commit,
            "source": self.source,
        }


@dataclass(frozen=True)
class Row:
    """One customer, send kind and period: what was due and what was sent."""

    customer: str
    company: str
    send: str
    period: str
    status: Status
    due: datetime | None = None  # when the schedule had it due (None: never due)
    sent: datetime | None = None  # when its ticket was entered
    ticket: int | None = None
    duplicates: tuple[int, ...] = ()
    commit: str | None = None  # the policy in force that made it due (or at the send)
    units: Mapping[str, float] = field(default_factory=frozen_map)  # billed, from the record
    source_units: Mapping[str, float] = field(default_factory=frozen_map)
    findings: tuple[Finding, ...] = ()

    @property
    def money(self) -> bool:
        return any(f.money for f in self.findings)

    def to_json(self) -> dict:
        return {
            "customer": self.customer,
            "company": self.company,
            "send": self.send,
            "period": self.period,
            "status": self.status,
            "due": self.due.isoformat() if self.due else None,
            "sent": self.sent.isoformat() if self.sent else None,
            "ticket": self.ticket,
            "duplicates": list(self.duplicates),
            "commit": self.commit,
            "units": dict(self.units),
            "source_units": dict(self.source_units),
            "findings": [f.kind for f in self.findings],  # in full under the report's findings
        }


@dataclass(frozen=True)
class PolicyChangeRow:
    commit: str
    date: str
    author: str
    subject: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class CustomerAudit:
    """One customer's rows (by send kind, then period), findings and policy changes."""

    slug: str
    name: str
    company: str
    products: tuple[str, ...]  # every product billed in range, for charts
    rows: tuple[Row, ...]
    changes: tuple[PolicyChangeRow, ...] = ()
    findings: tuple[Finding, ...] = ()  # every finding, rows' included

    def to_json(self) -> dict:
        return {
            "customer": self.slug,
            "name": self.name,
            "company": self.company,
            "products": list(self.products),
            "policy_changes": [
                {"commit": c.commit, "date": c.date, "author": c.author,
                 "subject": c.subject, "changes": list(c.sentences)}
                for c in self.changes
            ],
        }


@dataclass(frozen=True)
class Requests:
    """What the audit's ConnectWise reads cost, against the fewest the API allows."""

    made: int  # every HTTP request, retries and discovery included
    parts: Mapping[str, int] = field(default_factory=frozen_map)  # the minimum, by read

    @property
    def minimum(self) -> int:
        return sum(self.parts.values())

    def to_json(self) -> dict:
        return {"made": self.made, "minimum": self.minimum, "minimum_by_read": dict(self.parts)}


@dataclass(frozen=True)
class AuditReport:
    """The whole audit: scope, customers and what the gather layer could not read."""

    start: date
    end: date
    at: datetime
    customers: tuple[CustomerAudit, ...]
    notes: tuple[str, ...] = ()
    timezone: str = "UTC"  # the configuration's zone: calendar days are local days
    requests: Requests | None = None  # None: ConnectWise was not read (facts built by hand)

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(r for c in self.customers for r in c.rows)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for c in self.customers for f in c.findings)

    def counts_by_kind(self) -> dict[str, int]:
        counts = Counter(f.kind for f in self.findings)
        return {kind: counts[kind] for kind in FINDING_KINDS if counts[kind]}

    def counts_by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {s: counts[s] for s in SEVERITIES}

    def fails(self, fail_on: str) -> bool:
        """Whether a finding at or above `fail_on` (money, warning, any, none) exists."""
        if fail_on == "none":
            return False
        if fail_on == "any":
            return bool(self.findings)
        worst = SEVERITIES[: SEVERITIES.index(fail_on) + 1]  # type: ignore[arg-type]
        return any(f.severity in worst for f in self.findings)

    def to_json(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "from": f"{self.start:%Y-%m}",
            "to": f"{self.end:%Y-%m}",
            "at": self.at.isoformat(),
            "timezone": self.timezone,
            "counts": {"by_severity": self.counts_by_severity(),
                       "by_kind": self.counts_by_kind(),
                       "customers": len(self.customers), "rows": len(self.rows)},
            "notes": list(self.notes),
            "requests": self.requests.to_json() if self.requests else None,
            "customers": [c.to_json() for c in self.customers],
            "rows": [r.to_json() for r in self.rows],
            "findings": [f.to_json() for f in self.findings],
        }
