"""Plan as markdown for a pull-request comment, always under GitHub's size limit.

Totals come first, then errors, then one section per customer; when the whole plan does
not fit in `limit` characters, whole customer sections are left out (the largest plans
first lose their tail) and the comment says how many customers and changes it left out.
A policy review (`plan --changed-since`) follows the plan, in at most REVIEW_LIMIT
characters, and the plan makes room for it.
"""

from __future__ import annotations

from reconciler.plan.model import Plan
from reconciler.plan.render.common import SYMBOL, detail, totals

LIMIT = 65_000  # GitHub refuses comments over 65,536 characters; keep a margin
REVIEW_LIMIT = 15_000


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(plan: Plan, limit: int = LIMIT) -> str:
    if plan.policy_review is None:
        return _plan_markdown(plan, limit)
    section = plan.policy_review.markdown(REVIEW_LIMIT)
    headline = plan.policy_review.headline()
    return _plan_markdown(plan, limit - len(section) - 2, headline) + "\n" + section


def _plan_markdown(plan: Plan, limit: int, headline: str | None = None) -> str:
    n = plan.counts()
    head = [
        "## reconciler plan",
        "",
        *([f"**{_escape(headline)}**", ""] if headline else []),
        f"**{totals(plan)}**",
        "",
        "| create | update | cancel | errors | warnings | customers | requests |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {n['create']} | {n['update']} | {n['cancel']} | {len(plan.errors)} | "
        f"{len(plan.warnings)} | {len(plan.customers)} | {plan.requests} |",
        "",
    ]
    # (text, customers in it, changes in it): what is left out is counted, not guessed.
    sections: list[tuple[str, int, int]] = []
    if plan.errors:
        body = ["### Errors", ""]
        for e in plan.errors:
            body.append(f"- :x: {_escape(e.message)}")
            body += [f"  - candidate: `{_escape(c)}`" for c in e.candidates]
        sections.append(("\n".join(body) + "\n", 0, 0))
    for slug, changes in plan.changes_by_customer().items():
        plural = "s" if len(changes) != 1 else ""
        body = [f"### {_escape(slug)} ({_escape(changes[0].company)}): "
                f"{len(changes)} change{plural}", "", "```diff"]
        body += [f"{SYMBOL[c.kind]} {detail(c)}" for c in changes]
        body += ["```", ""]
        sections.append(("\n".join(body), 1, len(changes)))
    if plan.warnings:
        body = ["### Warnings", ""] + [f"- :warning: {_escape(w.message)}" for w in plan.warnings]
        sections.append(("\n".join(body) + "\n", 0, 0))

    out = "\n".join(head) + "\n"
    reserve = 400  # room for the "left out" note
    left: list[tuple[str, int, int]] = []
    for i, (text, _, _) in enumerate(sections):
        if len(out) + len(text) + 1 > limit - reserve:
            left = sections[i:]
            break
        out += text + "\n"
    if left:
        customers = sum(s[1] for s in left)
        changes = sum(s[2] for s in left)
        others = sum(1 for s in left if not s[1])
        parts = [f"{customers} customer{'s' if customers != 1 else ''} "
                 f"({changes} change{'s' if changes != 1 else ''})"]
        if others:
            parts.append(f"{others} other section{'s' if others != 1 else ''} "
                         "(errors or warnings)")
        out += (
            f"\n> **Left out to fit a pull-request comment:** {' and '.join(parts)}. "
            "The full plan is in the job log and the `plan.json` artifact.\n"
        )
    return out
