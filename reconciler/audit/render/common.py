"""Wording shared by the audit renderers, so every format says the same thing."""

from __future__ import annotations

from reconciler.audit.model import FINDING_KINDS, AuditReport, CustomerAudit, Finding, Row
from reconciler.sources import format_units

SEND_LABELS = {
    "billing": "billing",
    "hosted_email_security": "hosted email security",
    "email_security": "email security",
    "billing-now": "billing (send now)",
}
STATUS_LABELS = {
    "on_time": "on time",
    "late": "late",
    "missed": "missed",
    "pending": "pending",
    "not_due": "not due",
    "disabled": "sent while off",
    "sent_now": "sent now",
    "waived": "waived",
    "covered": "covered by other sends",
    "partial": "part of a period",
}


def scope_line(report: AuditReport) -> str:
    return (f"{report.start:%Y-%m} to {report.end:%Y-%m}, as of "
            f"{report.at:%Y-%m-%d %H:%M %z}")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def headline(report: AuditReport) -> str:
    """`No findings.` or `3 findings: 1 about money, 2 warnings, 0 notices.`"""
    if not report.findings:
        return "No findings."
    s = report.counts_by_severity()
    return (f"{plural(len(report.findings), 'finding')}: {s['money']} about money, "
            f"{plural(s['warning'], 'warning')}, {plural(s['notice'], 'notice')}.")


def kind_label(kind: str) -> str:
    return FINDING_KINDS[kind][2]


def status_counts(rows: tuple[Row, ...] | list[Row]) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for row in rows:
        counts[row.status] += 1
    return counts


def who(customer: CustomerAudit) -> str:
    return f"{customer.slug} ({customer.name}, ConnectWise {customer.company})"


def where(finding: Finding) -> str:
    """`ticket #12, addition #5, commit abc1234, source data/usage/2026-09.csv:4`."""
    parts = []
    if finding.ticket is not None:
        parts.append(f"ticket #{finding.ticket}")
    if finding.addition is not None:
        parts.append(f"addition #{finding.addition}")
    if finding.commit:
        parts.append(f"commit {finding.commit[:7]}")
    if finding.source:
        parts.append(f"source {finding.source}")
    return ", ".join(parts)


def units_text(units) -> str:
    """`cas=4;wfbss=38` (sorted, so spreadsheets and diffs stay stable)."""
    return ";".join(f"{p}={format_units(v)}" for p, v in sorted(units.items()))


_READ_NAMES = {"discovery": "discovery", "tickets": "ticket pages",
               "agreements": "agreement pages", "additions": "addition lists", "notes": "notes"}


def requests_line(report: AuditReport) -> str | None:
    """`412 requests to ConnectWise; minimum 380 (1 discovery, 12 ticket pages, ...): 1.08x`,
    or None when ConnectWise was not read."""
    cost = report.requests
    if cost is None:
        return None
    parts = ", ".join(f"{n} {_READ_NAMES.get(k, k)}" for k, n in cost.parts.items())
    ratio = f": {cost.made / cost.minimum:.2f}x" if cost.minimum else ""
    return (f"{plural(cost.made, 'request')} to ConnectWise; minimum {cost.minimum}"
            + (f" ({parts})" if parts else "") + ratio + ".")
