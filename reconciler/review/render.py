"""Text, markdown and JSON renderings of the policy review and of `history`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from reconciler.review.history import History
from reconciler.review.impact import ImpactLine, money
from reconciler.review.policy import CustomerPolicyChange
from reconciler.review.service import PolicyReview

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Commit subjects and author names from git, without terminal control characters."""
    return _CONTROL.sub("?", text)


def md_escape(text: str) -> str:
    """Text from configuration, safe in markdown (no links, tables or HTML from names)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _who(change: CustomerPolicyChange) -> str:
    return f"{change.slug} ({change.name}, ConnectWise {change.company})"


def impact_headline(review: PolicyReview) -> str | None:
    """The fleet's billing impact in one line (or why it is not there); None when it was
    not asked for."""
    if review.impact is not None:
        return review.impact.headline()
    return review.impact_note


def _impact_lines(review: PolicyReview, change: CustomerPolicyChange) -> list[ImpactLine]:
    if review.impact is None:
        return []
    found = next((c for c in review.impact.customers if c.slug == change.slug), None)
    return list(found.lines) if found else []


def _impact_text(line: ImpactLine) -> str:
    delta = "unknown" if line.delta is None else f"{money(line.delta)} a month"
    return f"{line.product} {line.kind}: {delta} ({line.note})"


def review_text(review: PolicyReview) -> str:
    """The review as plain text, one block per customer."""
    head = f"Policy changes since {review.base_ref} ({review.base_commit[:7]})"
    if review.note:
        return f"{head}: not compared: {review.note}\n"
    skipped = (
        [f"  not compared (the file has errors): {', '.join(review.skipped)}"]
        if review.skipped
        else []
    )
    if not review.changes:
        return f"{head}: none\n" + "".join(f"{line}\n" for line in skipped)
    headline = impact_headline(review)
    lines = [f"{head}:", *([f"  {headline}"] if headline else [])]
    for change in review.changes:
        lines.append(f"  {_who(change)}:")
        lines.extend(f"    - {text}" for text in change.sentences)
        lines.extend(f"    > {move}" for move in change.moves)
        lines.extend(f"    $ {_impact_text(line)}" for line in _impact_lines(review, change))
    return "\n".join([*lines, *skipped]) + "\n"


def _md_block(change: CustomerPolicyChange, impact: list[ImpactLine]) -> str:
    lines = [
        f"**{md_escape(change.slug)}** ({md_escape(change.name)}, "
        f"ConnectWise `{change.company.replace('`', '')}`)"
    ]
    lines.extend(f"- {md_escape(text)}" for text in change.sentences)
    lines.extend(f"- ⏱ {md_escape(move)}" for move in change.moves)
    lines.extend(f"- 💲 {md_escape(_impact_text(line))}" for line in impact)
    return "\n".join(lines) + "\n"


def review_markdown(review: PolicyReview, *, max_chars: int | None = None) -> str:
    """The review as markdown for a PR comment; past `max_chars` it says what it left out."""
    head = f"### Policy changes since `{review.base_ref}` (`{review.base_commit[:7]}`)\n\n"
    if review.note:
        return head + f"Not compared: {md_escape(review.note)}\n"
    if review.skipped:
        names = ", ".join(md_escape(s) for s in review.skipped)
        head += f"Not compared (the file has errors): {names}\n\n"
    if not review.changes:
        return head + "No customer's effective policy changes.\n"
    headline = impact_headline(review)
    out = head + (f"**{md_escape(headline)}**\n\n" if headline else "")
    for shown, change in enumerate(review.changes):
        block = _md_block(change, _impact_lines(review, change)) + "\n"
        left = len(review.changes) - shown
        if max_chars is not None and len(out) + len(block) > max_chars - 120:
            return out + f"_{left} more customer(s) not shown: see the full plan artifact._\n"
        out += block
    return out


def review_json(review: PolicyReview) -> str:
    return json.dumps(review.to_json(), indent=2, sort_keys=False) + "\n"


@dataclass(frozen=True)
class ReviewSection:
    """The policy review as the section a plan shows beside its changes
    (`reconciler.plan.model.ReviewSection`)."""

    review: PolicyReview

    def headline(self) -> str | None:
        return impact_headline(self.review)

    def headline_json(self) -> dict | None:
        impact = self.review.impact
        if impact is None:
            return None if self.review.impact_note is None else {
                "headline": self.review.impact_note, "delta_per_month": None, "unknown": None,
                "customers": None}
        return {"headline": impact.headline(), "delta_per_month": round(impact.delta, 2) + 0.0,
                "unknown": impact.unknown, "customers": len(impact.customers)}

    def text(self) -> str:
        return review_text(self.review)

    def markdown(self, max_chars: int) -> str:
        return review_markdown(self.review, max_chars=max_chars)

    def to_json(self) -> dict:
        return self.review.to_json()


def history_text(hist: History) -> str:
    """git-log-like: one header line per commit, one line per customer change."""
    if not hist.entries:
        who = f"customer {hist.customer}'s" if hist.customer else "any customer's"
        return f"No commit changed {who} effective policy.\n"
    lines: list[str] = []
    for entry in hist.entries:
        who, subject = printable(entry.author), printable(entry.subject)
        lines.append(f"{entry.short}  {entry.date}  {who}  {subject}")
        if entry.error:
            lines.append(f"    ! {entry.error}")
        if entry.compared_with:
            lines.append(
                f"    (compared with {entry.compared_with[:7]}, the last valid configuration)"
            )
        for change in entry.changes:
            lines.extend(f"    {change.slug}: {text}" for text in change.sentences)
    return "\n".join(lines) + "\n"


def history_json(hist: History) -> str:
    return json.dumps(hist.to_json(), indent=2) + "\n"
