"""Plan as terminal text; colour only when asked (the CLI asks on a TTY without NO_COLOR)."""

from __future__ import annotations

import click

from reconciler.plan.model import Plan
from reconciler.plan.render.common import SYMBOL, detail, totals

COLOURS = {"create": "green", "update": "yellow", "cancel": "red"}


def render_text(plan: Plan, *, color: bool = False) -> str:
    def style(text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    lines: list[str] = []
    errors_by = {}
    for error in plan.errors:
        errors_by.setdefault(error.customer, []).append(error)
    for slug, changes in plan.changes_by_customer().items():
        lines.append(style(f"{slug} ({changes[0].company})", bold=True))
        for c in changes:
            lines.append("  " + style(f"{SYMBOL[c.kind]} {detail(c)}", COLOURS[c.kind]))
        lines.append("")
    if plan.errors:
        lines.append(style("Errors (these customers were not planned):", "red", bold=True))
        for e in plan.errors:
            lines.append("  " + style(f"x {e.message}", "red"))
            for cand in e.candidates:
                lines.append(f"      candidate: {cand}")
        lines.append("")
    if plan.warnings:
        lines.append(style("Warnings:", "yellow", bold=True))
        lines += ["  " + style(f"! {w.message}", "yellow") for w in plan.warnings]
        lines.append("")
    lines.append(style(totals(plan), bold=True))
    lines.append(
        f"{len(plan.customers)} customer{'s' if len(plan.customers) != 1 else ''} planned, "
        f"{plan.requests} request{'s' if plan.requests != 1 else ''} to ConnectWise."
    )
    text = "\n".join(lines) + "\n"
    if plan.policy_review is not None:
        headline = plan.policy_review.headline()
        if headline:
            text = style(headline, bold=True) + "\n\n" + text
        text += "\n" + plan.policy_review.text()
    return text
