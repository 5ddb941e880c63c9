"""run-due / send-now / schedule output: text for people, JSON for machines (an object
with a `format_version` and the rows under a named key, like every JSON output)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from reconciler.schedule import ScheduledSend
from reconciler.sends.model import OUTCOMES, RunReport, SendResult

KIND_SHORT = {"billing": "billing", "hosted_email_security": "hes", "email_security": "tmems"}
FORMAT_VERSION = 1


def results_json(results: Sequence[SendResult], *, dry_run: bool,
                 requests: int | None = None) -> str:
    """`{"format_version", "dry_run", ["requests",] "results": [...]}` (requests: what
    the whole run cost, when known)."""
    body: dict = {"format_version": FORMAT_VERSION, "dry_run": dry_run}
    if requests is not None:
        body["requests"] = requests
    body["results"] = [r.to_json() for r in results]
    return json.dumps(body, indent=2) + "\n"


def results_text(report: RunReport) -> str:
    lines = []
    if report.dry_run:
        lines.append("DRY RUN: nothing was PATCHed or sent.")
    width = max((len(r.customer) for r in report.results), default=8)
    for r in report.results:
        lines.append(f"{r.outcome:<12} {r.customer:<{width}} {KIND_SHORT.get(r.kind, r.kind):<7} "
                     f"{r.period:<10} {r.detail}".rstrip())
    counts = report.counts()
    if not report.results:
        lines.append("Nothing is due.")
    totals = ", ".join(f"{counts[o]} {o.replace('_', ' ')}" for o in OUTCOMES if counts[o])
    lines.append(f"{totals or '0 sends'} ({report.requests} requests to ConnectWise)")
    return "\n".join(lines) + "\n"


def schedule_json(sends: Sequence[ScheduledSend], first: date, last: date) -> str:
    """`{"format_version", "from", "to", "sends": [...]}`: the days asked for (inclusive)
    and the sends due in them, in due order."""
    return json.dumps({
        "format_version": FORMAT_VERSION,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "sends": [
            {"customer": s.customer.slug, "company": s.customer.company, "kind": s.kind,
             "period": s.period.label, "due": s.due.isoformat()}
            for s in sends
        ],
    }, indent=2) + "\n"


def schedule_text(sends: Sequence[ScheduledSend]) -> str:
    if not sends:
        return "No sends are due in that range.\n"
    rows = [(s.due.isoformat(timespec="minutes"), s.customer.slug, s.customer.company,
             KIND_SHORT.get(s.kind, s.kind), s.period.label) for s in sends]
    headers = ("DUE", "CUSTOMER", "COMPANY", "KIND", "PERIOD")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    out.append(f"{len(sends)} sends")
    return "\n".join(out) + "\n"
