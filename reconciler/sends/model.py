"""Results of sends: one row per (customer, kind, period), as run-due reports them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reconciler.config.model import RejectedCustomer

Outcome = Literal["sent", "already_sent", "held", "failed", "missed", "skipped", "warning"]
OUTCOMES: tuple[Outcome, ...] = ("sent", "already_sent", "held", "failed", "missed", "skipped",
                                 "warning")
# Outcomes that make run-due exit 1: someone has to look.
FAILING: frozenset[str] = frozenset({"held", "failed", "missed"})
# `warning` (a duplicate ticket that could not be settled, beside its key's own row) does
# not: the send itself happened exactly once and every reader ignores the duplicate, so a
# housekeeping refusal must not turn every hourly run red and hide real failures. The row
# is printed on every run until the duplicate is settled.


@dataclass(frozen=True)
class SendResult:
    """What happened to one send."""

    customer: str  # slug
    company: str
    # billing | hosted_email_security | email_security; "config" for a customer file with
    # errors (which sends it has cannot be known): one failed row, nothing sent for it
    kind: str
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


CONFIG_KIND = "config"


def rejected_results(rejected: Iterable[RejectedCustomer]) -> list[SendResult]:
    """One `failed` row per customer file that did not load, naming file:line:col."""
    rows = []
    for bad in rejected:
        first, *more = bad.messages()
        detail = first + (f" (and {len(more)} more; run `reconciler validate`)" if more else "")
        rows.append(SendResult(bad.slug, bad.company or "", CONFIG_KIND, "", "", "failed",
                               detail + "; nothing was sent for this customer"))
    return rows


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
