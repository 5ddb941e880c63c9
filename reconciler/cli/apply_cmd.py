"""`reconciler apply`: apply a saved plan (refused when stale) or plan and apply (--yes)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from reconciler.apply import ApplyReport, Outcome, apply_plan, check_fresh, check_thresholds
from reconciler.cli.plan_cmd import selection_for, use_color
from reconciler.cli.runtime import runtime
from reconciler.domain.selection import by_slugs
from reconciler.plan.model import Plan, PlanFileInvalid
from reconciler.plan.render import render
from reconciler.plan.render.common import detail
from reconciler.plan.service import make_plan


def read_plan(path: str) -> Plan:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileInvalid(f"cannot read plan file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise PlanFileInvalid(f"{path} is not a plan file (invalid JSON: {exc.msg})") from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
        raise PlanFileInvalid(f"{path} is not a plan file (unreadable JSON: {exc})") from None
    return Plan.from_json(data)


class Progress:
    """Progress on stderr: a live counter on a terminal, else a line every `every` changes."""

    def __init__(self, stream=None, every: int = 50):
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every

    def __call__(self, done: int, total: int, outcome: Outcome) -> None:
        if self.tty:
            end = "\n" if done == total else ""
            self.stream.write(f"\rapplying: {done}/{total} changes{end}")
            self.stream.flush()
        elif total >= self.every and (done % self.every == 0 or done == total):
            self.stream.write(f"applying: {done}/{total} changes\n")


def report_lines(report: ApplyReport) -> list[str]:
    lines = []
    for o in report.outcomes:
        what = f"{o.customer}: {detail(o.change)}" if o.change else o.message
        if o.status == "applied":
            lines.append(f"applied      {what}" + (f" ({o.message})" if o.message else ""))
        elif o.status == "failed":
            lines.append(f"FAILED       {o.message}")
        elif o.status == "skipped":
            lines.append(f"skipped      {what} ({o.message})")
        else:
            lines.append(f"not planned  {what}")
    changes = [o for o in report.outcomes if o.change]
    summary = f"Applied {report.count('applied')} of {len(changes)} changes"
    extras = [f"{report.count(s)} {s}" for s in ("failed", "skipped") if report.count(s)]
    if report.count("not planned"):
        extras.append(f"{report.count('not planned')} customer errors (nothing applied for them)")
    lines.append(summary + (f"; {', '.join(extras)}" if extras else "") + ".")
    return lines


@click.command("apply")
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Without a plan file: plan and apply in one go.")
@click.option("--force", is_flag=True, help="Apply past the safety thresholds of reconciler.yaml.")
@click.option("--customer", "patterns", multiple=True, metavar="GLOB",
              help="With --yes: only these customers (slug or company identifier).")
@click.option("--changed-since", metavar="REF",
              help="With --yes: only customers whose file changed since REF.")
@click.pass_context
def command(ctx: click.Context, plan_file, yes, force, patterns, changed_since) -> None:
    """Apply a saved plan, or plan and apply with --yes; goes on past a customer's failure.

    A customer file with errors is reported as not planned (exit 1) and nothing is
    applied for its company; the other customers are applied."""
    if plan_file and (patterns or changed_since):
        raise click.UsageError("--customer and --changed-since select customers for a new "
                               "plan; a saved plan already names its customers")
    if not plan_file and not yes:
        raise click.UsageError("give a saved plan (reconciler plan --out plan.json) or --yes "
                               "to plan and apply now")
    saved = read_plan(plan_file) if plan_file else None
    with runtime(ctx) as rt:
        fleet = rt.fleet
        at = rt.now()
        today = at.astimezone(ZoneInfo(fleet.settings.timezone)).date()
        if saved is not None:
            selection = by_slugs(fleet, [c.slug for c in saved.customers])
            current = make_plan(fleet, rt.gateway, selection, now=at, scan_unmanaged=False)
            check_fresh(saved, current)
            plan = saved
        else:
            selection = selection_for(rt.root, fleet, patterns, changed_since)
            plan = make_plan(fleet, rt.gateway, selection, now=at, scan_unmanaged=False)
            click.echo(render(plan, "text", color=use_color()), nl=False)
        safety = fleet.settings.safety
        note = check_thresholds(plan, safety.max_cancel_percent, safety.min_managed_additions,
                                force)
        if note:
            click.echo(f"warning: {note}", err=True)
        if not plan.changes and not plan.errors:
            click.echo("No changes. Nothing to apply.")
            return
        report = apply_plan(plan, rt.gateway, today=today, progress=Progress())
    for line in report_lines(report):
        click.echo(line)
    ctx.exit(1 if report.failed else 0)
