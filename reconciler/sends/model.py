"""Results of sends: one row per (customer, kind, period), as run-due reports them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["sent", "already_sent", "held", "failed", "missed", "skipped"]
OUTCOMES: tuple[Outcome, ...] = ("sent", "already_sent", "held", "failed", "missed", "skipped")
# Outcomes that make run-due exit 1: someone has to look.
FAILING: frozenset[str] = frozenset({"held", "failed", "missed"})


@dataclass(frozen=True)
class SendResult:
    """What happened to one send."""

    customer: str  # slug
    company: str
    kind: str  # billing | hosted_email_security | email_security
    period: str  # label, e.g. 2026-11, 2026-W47, 2026-11-24 (send now: the UTC minute)
    key: str
    outcome: Outcome
    detail: str = ""

    def to_json(self) -> dict:
        return {
            "customer": self.customer,
            "company": self.company,
            "kind": self.kind,
            "period": self.period,
            "key": self.key,
            "outcome": self.outcome,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class RunReport:
    """Every result of one run, in a stable order (customer, kind, period)."""

    results: tuple[SendResult, ...]
    dry_run: bool = False
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not any(r.outcome in FAILING for r in self.results)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for result in self.results:
            counts[result.outcome] += 1
        return counts
