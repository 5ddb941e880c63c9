"""The audit for machines: JSON (`format_version`) and CSV (one row per customer-period)."""

from __future__ import annotations

import csv
import io
import json

from reconciler.audit.model import AuditReport
from reconciler.audit.render.common import units_text

CSV_COLUMNS = (
    "customer", "company", "send", "period", "status", "due", "sent", "ticket", "duplicates",
    "commit", "billed_units", "source_units", "findings", "money", "finding_kinds", "messages",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def render_json(report: AuditReport) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"


def _cell(value: object) -> str:
    """Text a spreadsheet shows as text: a leading = + - @ would make it a formula (a
    customer name or commit subject must never run as one)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def render_csv(report: AuditReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        writer.writerow([_cell(v) for v in (
            row.customer, row.company, row.send, row.period, row.status,
            row.due.isoformat() if row.due else "", row.sent.isoformat() if row.sent else "",
            row.ticket if row.ticket is not None else "",
            " ".join(str(t) for t in row.duplicates), row.commit or "",
            units_text(row.units), units_text(row.source_units), len(row.findings),
            "yes" if row.money else "no", ";".join(f.kind for f in row.findings),
            " | ".join(f.message for f in row.findings),
        )])
    return out.getvalue()
