"""Wording shared by the renderers, so text and markdown say the same thing."""

from __future__ import annotations

from reconciler.plan.model import Change, Plan

SYMBOL = {"create": "+", "update": "~", "cancel": "-"}


def totals(plan: Plan) -> str:
    n = plan.counts()
    if not plan.changes:
        head = "No changes."
    else:
        head = (
            f"Plan: {n['create']} to create, {n['update']} to update, {n['cancel']} to cancel."
        )
    tail = []
    if plan.errors:
        tail.append(f"{len(plan.errors)} error{'s' if len(plan.errors) != 1 else ''}")
    if plan.warnings:
        tail.append(f"{len(plan.warnings)} warning{'s' if len(plan.warnings) != 1 else ''}")
    return head + (f" ({', '.join(tail)})" if tail else "")


def _value(v: object) -> str:
    return "null" if v is None else str(v)


def detail(change: Change) -> str:
    """What the change does, in one line (no customer: that is the section heading)."""
    where = f"{change.agreement.type} / {change.agreement.name} (agreement {change.agreement.id})"
    source = f", {change.quantity_source}" if change.quantity_source else ""
    if change.kind == "create":
        quantity = (change.after or {}).get("quantity")
        return (
            f"create {change.product} ({change.catalog_item}) on {where}, "
            f"billCustomer Billable, quantity {_value(quantity)}{source}"
        )
    if change.kind == "update":
        fields = ", ".join(
            f"{f}: {_value((change.before or {}).get(f))} -> {_value(v)}"
            + (source if f == "quantity" else "")
            for f, v in (change.after or {}).items()
        )
        return (
            f"update {change.product} ({change.catalog_item}) addition {change.addition_id} "
            f"on {where}: {fields}"
        )
    return (
        f"cancel {change.product} ({change.catalog_item}) addition {change.addition_id} "
        f"on {where}: {change.reason}"
    )
