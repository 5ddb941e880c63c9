"""doctor's output: text for people (a line per check, the fix under each problem) and
JSON for scripts (`format_version`, checks under `checks`)."""

from __future__ import annotations

import json

from reconciler.doctor.model import Report

LABEL = {"ok": "ok", "warn": "warn", "fail": "FAIL", "skip": "skip"}


def text(report: Report) -> str:
    width = max((len(c.name) for c in report.checks), default=10)
    lines = []
    for check in report.checks:
        lines.append(f"{LABEL[check.status]:<5} {check.name:<{width}}  {check.detail}")
        if check.fix and check.status != "ok":
            lines.append(f"{'':<5} {'':<{width}}  fix: {check.fix}")
    others = [f"{report.count(s)} {word}" for s, word in (("warn", "warning"),
                                                           ("skip", "skipped"))
              if report.count(s)]
    tail = f" ({', '.join(others)})" if others else ""
    if report.ready:
        lines.append(f"Ready: nothing the configured sends need is missing{tail}.")
    else:
        failed = report.count("fail")
        lines.append(f"Not ready: {failed} check{'s' if failed != 1 else ''} failed{tail}.")
    created = any(c.name == "connectwise.probe.create" and c.status == "ok"
                  for c in report.checks)
    lines.append(f"{report.requests} requests to ConnectWise; " + (
        "the write probe created two tickets (connectwise.probe.create)." if created
        else "nothing was written."))
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"
