"""Audit renderers by name: text (terminal), markdown (PR/issue comment, job summary),
json (machines, `format_version`), csv (spreadsheets, one row per customer-period) and
html (one self-contained, printable report with charts)."""

from __future__ import annotations

from reconciler.audit.model import AuditReport

FORMATS = ("text", "markdown", "json", "csv", "html")


def render(report: AuditReport, fmt: str) -> str:
    """The report in format `fmt` (one of FORMATS)."""
    if fmt == "text":
        from reconciler.audit.render.text import render_text

        return render_text(report)
    if fmt == "markdown":
        from reconciler.audit.render.markdown import render_markdown

        return render_markdown(report)
    if fmt == "json":
        from reconciler.audit.render.data import render_json

        return render_json(report)
    if fmt == "csv":
        from reconciler.audit.render.data import render_csv

        return render_csv(report)
    if fmt == "html":
        from reconciler.audit.render.html import render_html

        return render_html(report)
    raise ValueError(f"unknown audit format {fmt!r}; expected one of {', '.join(FORMATS)}")
