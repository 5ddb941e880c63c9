"""`reconciler plan`: diff the fleet against ConnectWise and show (or save) the plan."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from reconciler import redact
from reconciler.cli.runtime import runtime
from reconciler.domain.selection import Selection, select
from reconciler.errors import ReconcilerError
from reconciler.gitrefs import changed_files
from reconciler.plan.model import Plan
from reconciler.plan.render import FORMATS, render
from reconciler.plan.service import make_plan
from reconciler.review import ReviewSection, policy_review


def use_color(stream=None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and bool(getattr(stream, "isatty", lambda: False)())


def selection_for(root: Path, fleet, patterns, changed_since: str | None) -> Selection:
    changed = changed_files(root, changed_since) if changed_since else None
    return select(fleet, patterns, changed)


def write_plan(path: str, plan: Plan) -> None:
    try:
        Path(path).write_text(redact.text(render(plan, "json")), encoding="utf-8")
    except OSError as exc:  # e.g. its folder does not exist
        raise ReconcilerError(f"cannot save the plan to {path}: "
                              f"{exc.strerror or type(exc).__name__}") from None


@click.command("plan")
@click.option("--customer", "patterns", multiple=True, metavar="GLOB",
              help="Only customers whose slug or company identifier matches (repeatable).")
@click.option("--changed-since", metavar="REF",
              help="Only customers whose file changed since REF (reconciler.yaml: all).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Also save the plan as JSON here, "
              "for `reconciler apply PLAN`.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 with no changes, 2 with changes (1 on any error).")
@click.option("--scan-unmanaged/--no-scan-unmanaged", default=None,
              help="Look for ConnectWise companies with managed additions but no customer "
              "file (default: only when planning the whole fleet).")
@click.pass_context
def command(ctx: click.Context, patterns, changed_since, fmt, out, detailed_exitcode,
            scan_unmanaged) -> None:
    """Diff the fleet against ConnectWise: what apply would create, update and cancel.

    A customer file with errors becomes an error naming file:line:col (exit 1) and
    nothing is planned for its company; the other customers are planned as usual."""
    with runtime(ctx) as rt:
        fleet = rt.fleet
        selection = selection_for(rt.root, fleet, patterns, changed_since)
        at = rt.now()
        plan = make_plan(fleet, rt.gateway, selection, now=at, scan_unmanaged=scan_unmanaged)
        if changed_since:  # what the change set does to policies and billing, with its plan
            review = policy_review(rt.root, changed_since, fleet, at=at, gateway=rt.gateway)
    if out:
        write_plan(out, plan)  # the plan file: what apply applies, without the review
    if changed_since:
        plan = replace(plan, policy_review=ReviewSection(review))
    click.echo(render(plan, fmt, color=use_color()), nl=False)
    if out and fmt != "json":
        click.echo(f"Saved the plan to {out}; apply it with: reconciler apply {out}", err=True)
    if plan.errors:
        ctx.exit(1)
    ctx.exit(2 if detailed_exitcode and plan.has_changes else 0)
