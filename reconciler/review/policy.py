"""The semantic change of each customer's effective policy between two fleets.

Reviewers of a pull request (and auditors reading `history`) want "billing day 5 -> 31",
not a YAML diff: a change to reconciler.yaml changes every global customer's policy
without touching their files, and reordering a list changes nothing at all. So each
customer is reduced to a plain-dict view of what ConnectWise and the sends will see,
the two views are compared with deepdiff (order of lists ignored), and each difference
becomes one sentence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from deepdiff import DeepDiff
from deepdiff.helper import notpresent

from reconciler.config.model import DEFAULT_AGREEMENT, Customer, Fleet, Policy, Settings

ChangeKind = Literal["added", "removed", "changed"]

# How each send is called in sentences.
SEND_LABELS = {
    "billing": "billing",
    "hosted_email_security": "hosted email security",
    "email_security": "email security",
}
FIELD_LABELS = {
    "name": "name",
    "company": "ConnectWise company",
    "trend_micro_id": "Trend Micro customer id",
    "timezone": "timezone",
    "send_at": "send time",
}


@dataclass(frozen=True)
class FieldChange:
    """One semantic difference: where (dotted path), before, after and a sentence."""

    path: str
    old: Any
    new: Any
    text: str

    def to_json(self) -> dict:
        return {"path": self.path, "old": self.old, "new": self.new, "text": self.text}


@dataclass(frozen=True)
class CustomerPolicyChange:
    """How one customer's effective policy changed (added, removed or changed)."""

    slug: str
    name: str
    company: str
    kind: ChangeKind
    changes: tuple[FieldChange, ...]
    moves: tuple[str, ...] = ()  # upcoming sends it moves, filled in by the review

    @property
    def sentences(self) -> tuple[str, ...]:
        return tuple(c.text for c in self.changes)

    def to_json(self) -> dict:
        return {
            "customer": self.slug,
            "name": self.name,
            "company": self.company,
            "kind": self.kind,
            "changes": [c.to_json() for c in self.changes],
            "moves": list(self.moves),
        }


def _policy_view(policy: Policy) -> dict:
    view: dict[str, Any] = {"billing": None, "hosted_email_security": None, "email_security": None}
    if policy.billing:
        view["billing"] = {"day": policy.billing.day, "products": sorted(policy.billing.products)}
    for kind in ("hosted_email_security", "email_security"):
        summary = policy.summary(kind)
        if summary:
            block: dict[str, Any] = {"every": summary.every}
            if summary.edition:
                block["edition"] = summary.edition
            block["detections"] = sorted(summary.detections)
            view[kind] = block
    return view


def customer_view(customer: Customer, settings: Settings) -> dict:
    """What ConnectWise and the sends see of a customer, as plain data."""
    products = set(customer.agreements) | set(customer.billed_products)
    return {
        "name": customer.name,
        "company": customer.company,
        "trend_micro_id": customer.trend_micro_id,
        "integration": "enabled" if customer.enabled else "disabled",
        "settings": customer.settings,
        # The effective agreement of every billed or mapped product ("default agreement"
        # when unmapped), so dropping a mapping reads as "-> default agreement".
        "agreements": {p: str(customer.agreement_for(p)) for p in sorted(products)},
        **_policy_view(customer.policy),
        # Global timing moves every send of every customer.
        "timezone": settings.timezone,
        "send_at": settings.send_at,
    }


def _describe_block(kind: str, block: dict) -> str:
    if kind == "billing":
        return f"day {block['day']}, products {', '.join(block['products']) or 'none'}"
    parts = [f"every {block['every']}"]
    if "edition" in block:
        parts.append(f"edition {block['edition']}")
    parts.append(f"detections {', '.join(block['detections']) or 'none'}")
    return ", ".join(parts)


def _sentence(path: list, old: Any, new: Any) -> str:
    """One difference between two customer views as a sentence."""
    head = path[0]
    if head == "settings":
        return f"switched to {new} settings"
    if head == "integration":
        return f"integration {new}"
    if head == "agreements":
        product = path[1]
        if old is notpresent:
            return f"agreement for {product}: {new}"
        if new is notpresent:
            return f"agreement for {product} no longer used (was {old})"
        return f"agreement for {product}: {old} -> {new}"
    if head in SEND_LABELS:
        label = SEND_LABELS[head]
        if len(path) == 1:  # the whole block turned on or off
            if old is None:
                return f"{label} turned on: {_describe_block(head, new)}"
            return f"{label} turned off (was {_describe_block(head, old)})"
        field = path[1]
        return f"{label} {field} {old} -> {new}"
    label = FIELD_LABELS.get(head, head)
    return f"{label} {old} -> {new}"


def _list_changes(path: list, added: list, removed: list) -> list[FieldChange]:
    """Items added to or removed from a list (products, detections), one sentence each way."""
    send, field = path[0], path[1]
    where = f"{SEND_LABELS[send]} {field}"
    dotted = ".".join(map(str, path))
    out = []
    if added:
        out.append(
            FieldChange(dotted, None, sorted(added), f"{where} added: {', '.join(sorted(added))}")
        )
    if removed:
        out.append(
            FieldChange(
                dotted, sorted(removed), None, f"{where} removed: {', '.join(sorted(removed))}"
            )
        )
    return out


def _implied(path: list, old: Any, new: Any) -> bool:
    """A product starting or stopping on the default agreement: the billing line says it."""
    default = str(DEFAULT_AGREEMENT)
    return path[0] == "agreements" and (
        (old is notpresent and new == default) or (new is notpresent and old == default)
    )


def diff_views(base: dict, head: dict) -> tuple[FieldChange, ...]:
    """The semantic differences between two customer views, in a stable order."""
    # threshold_to_diff_deeper=0: always report per key, never "the whole dict changed".
    diff = DeepDiff(base, head, ignore_order=True, view="tree", threshold_to_diff_deeper=0)
    changes: list[FieldChange] = []
    lists: dict[tuple, tuple[list, list]] = {}
    for levels in diff.values():
        for level in levels:
            path = level.path(output_format="list")
            if isinstance(path[-1], int):  # an item of a list (products, detections)
                added, removed = lists.setdefault(tuple(path[:-1]), ([], []))
                if level.t2 is not notpresent:
                    added.append(level.t2)
                if level.t1 is not notpresent:
                    removed.append(level.t1)
                continue
            if _implied(path, level.t1, level.t2):
                continue
            old = None if level.t1 is notpresent else level.t1
            new = None if level.t2 is notpresent else level.t2
            changes.append(
                FieldChange(".".join(map(str, path)), old, new, _sentence(path, level.t1, level.t2))
            )
    for path, (added, removed) in lists.items():
        changes.extend(_list_changes(list(path), added, removed))
    order = list(head) or list(base)
    changes.sort(key=lambda c: (order.index(c.path.split(".")[0]), c.path, c.text))
    return tuple(changes)


def customer_change(
    slug: str, base: tuple[Customer, Settings] | None, head: tuple[Customer, Settings] | None
) -> CustomerPolicyChange | None:
    """How one customer changed between base and head (None: no change)."""
    if base is None and head is None:
        return None
    shown = (head or base)[0]  # type: ignore[index]
    if base is None:
        return CustomerPolicyChange(
            slug,
            shown.name,
            shown.company,
            "added",
            (
                FieldChange("", None, None, "customer added"),
                *_summary(customer_view(*head)),  # type: ignore[misc]
            ),
        )
    if head is None:
        return CustomerPolicyChange(
            slug,
            shown.name,
            shown.company,
            "removed",
            (FieldChange("", None, None, "customer removed"),),
        )
    if base == head:  # same objects from the same versions (history's cache): no change
        return None
    before, after = customer_view(*base), customer_view(*head)
    if before == after:  # plain comparison first: deepdiff costs ~1 ms a customer
        return None
    changes = diff_views(before, after)
    if not changes:
        return None
    return CustomerPolicyChange(slug, shown.name, shown.company, "changed", changes)


def _summary(view: dict) -> list[FieldChange]:
    """What a new customer starts with, in the same sentence style."""
    out = [
        FieldChange("integration", None, view["integration"], f"integration {view['integration']}")
    ]
    out.append(FieldChange("settings", None, view["settings"], f"{view['settings']} settings"))
    for kind, label in SEND_LABELS.items():
        if view[kind]:
            out.append(
                FieldChange(kind, None, view[kind], f"{label}: {_describe_block(kind, view[kind])}")
            )
    return out


def policy_changes(
    base: Fleet | None, head: Fleet, *, slugs: Iterable[str] | None = None
) -> list[CustomerPolicyChange]:
    """Every customer whose effective policy differs between `base` and `head`, by slug.

    `base` None means there was no fleet before (every customer is added). `slugs`
    limits the comparison to those customers.
    """
    before = {c.slug: (c, base.settings) for c in base.customers} if base else {}
    after = {c.slug: (c, head.settings) for c in head.customers}
    wanted = set(slugs) if slugs is not None else None
    out = []
    for slug in sorted(set(before) | set(after)):
        if wanted is not None and slug not in wanted:
            continue
        change = customer_change(slug, before.get(slug), after.get(slug))
        if change:
            out.append(change)
    return out
