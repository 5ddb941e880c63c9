"""`collect detections` output: text for people, JSON (with format_version) for scripts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from reconciler.sources.collect import CollectReport, summarise

FORMAT_VERSION = 1


def _t(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def collect_text(report: CollectReport) -> str:
    lines = []
    for window in summarise(report.collected):
        lines.append(f"collected {_t(window.start)}..{_t(window.end)}: {window.logs} logs, "
                     f"{window.requests} requests")
    for start, end in report.lost:
        lines.append(f"lost      {_t(start)}..{_t(end)}: older than Trend Micro Email "
                     "Security's 72-hour log window and never collected; the summaries "
                     "covering it fail")
    if report.failed:
        lines.append(f"failed    {report.failed} (what was read before is kept; the next "
                     "run goes on from there)")
    if report.unknown_domains:
        lines.append("logs of domains no customer lists (kept, counted for nobody): " + ", ".join(
            f"{domain} {count}" for domain, count in sorted(report.unknown_domains.items())))
    if report.uncounted:
        lines.append("logs no detection counts: " + ", ".join(
            f"{' / '.join(part for part in category if part)} {count}"
            for category, count in sorted(report.uncounted.items())))
    if report.untimed:
        lines.append(f"logs without a readable time (counted at their window's start): "
                     f"{report.untimed}")
    if not report.collected and not report.lost and not report.failed:
        lines.append("nothing to collect yet (the last 30 minutes settle first)")
    until = _t(report.complete_until) or "nothing collected"
    lines.append(f"complete until {until} ({report.requests} requests to Trend Micro Email "
                 "Security)")
    return "\n".join(lines) + "\n"


def collect_json(report: CollectReport) -> str:
    data = {
        "format_version": FORMAT_VERSION,
        "at": report.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "ok": report.ok,
        "collected": [{"start": _t(w.start), "end": _t(w.end), "logs": w.logs,
                       "requests": w.requests} for w in report.collected],
        "lost": [{"start": _t(a), "end": _t(b)} for a, b in report.lost],
        "failed": report.failed,
        "complete_until": _t(report.complete_until),
        "requests": report.requests,
        "unknown_domains": dict(sorted(report.unknown_domains.items())),
        "uncounted": [{"event": c[0], "type": c[1], "subtype": c[2], "logs": n}
                      for c, n in sorted(report.uncounted.items())],
        "untimed": report.untimed,
    }
    return json.dumps(data, indent=2) + "\n"
