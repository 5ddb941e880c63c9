"""The audit as terminal text: the headline, findings by kind, then each customer with
findings (a clean customer is one line)."""

from __future__ import annotations

from reconciler.audit.model import AuditReport
from reconciler.audit.render.common import (
    SEND_LABELS,
    headline,
    kind_label,
    plural,
    requests_line,
    scope_line,
    status_counts,
    where,
    who,
)
from reconciler.review.render import printable


def render_text(report: AuditReport) -> str:
    lines = [f"Audit {scope_line(report)}: {plural(len(report.customers), 'customer')}, "
             f"{plural(len(report.rows), 'period')}", headline(report)]
    for kind, n in report.counts_by_kind().items():
        lines.append(f"  {n:>4}  {kind}: {kind_label(kind)}")
    lines.append("")
    for customer in report.customers:
        counts = status_counts(customer.rows)
        summary = (f"{plural(len(customer.rows), 'period')}: {counts['on_time']} on time, "
                   f"{counts['late']} late, {counts['missed']} missed")
        lines.append(f"{printable(who(customer))}: {summary}, "
                     f"{plural(len(customer.findings), 'finding')}")
        for f in customer.findings:
            lines.append(f"  ! {f.severity:<7} {SEND_LABELS.get(f.send, f.send)} {f.period} "
                         f"{f.kind}: {printable(f.message)}")
            origin = where(f)
            if origin:
                lines.append(f"            ({printable(origin)})")
    if report.notes:
        lines += ["", "Notes:", *(f"  - {printable(n)}" for n in report.notes)]
    cost = requests_line(report)
    if cost:
        lines += ["", cost]
    return "\n".join(lines) + "\n"
