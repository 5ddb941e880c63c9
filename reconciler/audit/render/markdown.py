"""The audit as markdown for a pull-request or issue comment and the job summary.

Totals and findings by kind come first; then one section per customer with findings
(money first), as a table. A clean customer is only counted. When everything does not
fit in `limit` characters (plan's limit: GitHub refuses comments over 65,536), whole
customer sections are left out and the comment says how many, with how many findings,
and where the full report is.
"""

from __future__ import annotations

from reconciler.audit.model import SEVERITIES, AuditReport, CustomerAudit
from reconciler.audit.render.common import (
    SEND_LABELS,
    headline,
    kind_label,
    plural,
    requests_line,
    scope_line,
    status_counts,
    where,
)
from reconciler.plan.render.markdown import LIMIT
from reconciler.review.render import md_escape

RESERVE = 650  # room for the "left out" note and the requests line


def _worst(customer: CustomerAudit) -> tuple:
    order = [sum(1 for f in customer.findings if f.severity == s) for s in SEVERITIES]
    return (*(-n for n in order), customer.slug)


def _section(customer: CustomerAudit) -> str:
    lines = [f"### {md_escape(customer.slug)} ({md_escape(customer.name)}, ConnectWise "
             f"{md_escape(customer.company)}): {plural(len(customer.findings), 'finding')}", "",
             "| severity | send | period | finding | where |", "|---|---|---|---|---|"]
    for f in sorted(customer.findings, key=lambda f: (SEVERITIES.index(f.severity), f.period)):
        mark = ":x: " if f.money else ""
        lines.append(f"| {mark}{f.severity} | {SEND_LABELS.get(f.send, f.send)} | {f.period} "
                     f"| **{f.kind}**: {md_escape(f.message)} | {md_escape(where(f))} |")
    return "\n".join(lines) + "\n"


def render_markdown(report: AuditReport, limit: int = LIMIT) -> str:
    rows = report.rows
    counts = status_counts(rows)
    sev = report.counts_by_severity()
    head = [
        f"## reconciler audit: {scope_line(report)}", "", f"**{headline(report)}**", "",
        "| customers | periods | on time | late | missed | money | warnings | notices |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {len(report.customers)} | {len(rows)} | {counts['on_time']} | {counts['late']} | "
        f"{counts['missed']} | {sev['money']} | {sev['warning']} | {sev['notice']} |", "",
    ]
    by_kind = report.counts_by_kind()
    if by_kind:
        head += ["| finding | count | meaning |", "|---|---:|---|"]
        head += [f"| {kind} | {n} | {kind_label(kind)} |" for kind, n in by_kind.items()]
        head.append("")
    if report.notes:
        head += [f"> {md_escape(n)}" for n in report.notes] + [""]
    out = "\n".join(head) + "\n"
    with_findings = sorted((c for c in report.customers if c.findings), key=_worst)
    left: list[CustomerAudit] = []
    for i, customer in enumerate(with_findings):
        text = _section(customer)
        if len(out) + len(text) + 1 > limit - RESERVE:
            left = with_findings[i:]
            break
        out += text + "\n"
    clean = len(report.customers) - len(with_findings)
    if clean and with_findings:
        out += f"{plural(clean, 'customer')} without findings.\n"
    if left:
        findings = sum(len(c.findings) for c in left)
        money = sum(1 for c in left for f in c.findings if f.money)
        out += (f"\n> **Left out to fit a comment:** {plural(len(left), 'customer')} "
                f"({plural(findings, 'finding')}, {money} about money). The full report is "
                "in the `audit.html` and `audit.json` artifacts.\n")
    cost = requests_line(report)
    if cost:
        out += f"\n<sub>{cost}</sub>\n"
    return out
