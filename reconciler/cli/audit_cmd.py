"""`reconciler audit`: what was billed and sent against what should have been (read-only)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from reconciler import redact
from reconciler.audit import gather as gathering
from reconciler.audit.engine import audit
from reconciler.audit.facts import AuditScope
from reconciler.audit.render import render
from reconciler.cli.runtime import runtime
from reconciler.errors import ReconcilerError
from reconciler.schedule import Period, ScheduleError, parse_instant, zone


def _month(value: str | None, option: str) -> Period | None:
    if value is None:
        return None
    try:
        period = Period.parse(value.strip())
    except ScheduleError:
        period = None
    if period is None or period.frequency != "month":
        raise click.BadParameter(f"{value!r} is not a month YYYY-MM", param_hint=option)
    return period


@click.command("audit")
@click.option("--from", "start", metavar="YYYY-MM",
              help="First month audited (default: 11 months before --to).")
@click.option("--to", "end", metavar="YYYY-MM", help="Last month audited (default: this month).")
@click.option("--customer", "customers", multiple=True, metavar="ID",
              help="Only this customer: file name without .yaml or company id (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json", "csv", "html"]),
              default="text", show_default=True)
@click.option("--out", "outs", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of standard output, in the format "
              "its suffix names (.txt .md .json .csv .html; another suffix: --format); "
              "repeatable, so one audit can write every format it is kept in.")
@click.option("--fail-on", type=click.Choice(["money", "warning", "any", "none"]),
              default="money", show_default=True,
              help="Exit 1 on a finding of this severity or worse (any: every finding).")
@click.option("--at", "at_text", metavar="ISO8601",
              help="Audit as of this instant (default: now); without an offset it is read "
              "in the configured time zone.")
@click.pass_context
def command(ctx: click.Context, start, end, customers, fmt, outs, fail_on, at_text) -> None:
    """Every customer and period from --from to --to: sent on time, late or missed,
    duplicates, quantities and counts against the sources, sends the policy of the time
    had off, additions changed by hand since their last billing.

    Reads git, ConnectWise and the sources; changes nothing. Exit 0 when nothing at or
    above --fail-on is found, 1 otherwise."""
    explicit = ctx.get_parameter_source("fmt") == click.core.ParameterSource.COMMANDLINE
    targets = [(out, _format_of(out, fmt, explicit)) for out in outs]
    with runtime(ctx) as rt:
        fleet = rt.fleet
        # An empty --at (e.g. an unset CI variable) is an error, never a silent "now".
        at = (rt.now() if at_text is None
              else parse_instant(at_text, zone(fleet.settings.timezone)))
        last = _month(end, "--to") or Period.containing("month", at.date())
        first = _month(start, "--from") or _months_before(last, 11)
        if first.start > last.start:
            raise click.BadParameter(f"--from {first.label} is after --to {last.label}",
                                     param_hint="--from")
        scope = AuditScope(first.start, last.end, at, tuple(customers))
        reads = gathering.open_connectwise_reads(rt.gateway)
        facts = gathering.gather(rt.root, scope, connectwise=reads, usage=rt.usage,
                                 detections=rt.detections)
        report = replace(audit(facts, scope), requests=reads.cost())
    if not targets:
        click.echo(render(report, fmt), nl=False)
    for out, out_fmt in targets:
        try:
            out.write_text(redact.text(render(report, out_fmt)), encoding="utf-8")
        except OSError as exc:
            raise ReconcilerError(f"cannot write {out}: {exc.strerror or exc}") from None
        click.echo(f"audit written to {out} ({out_fmt}, {len(report.findings)} findings)",
                   err=True)
    ctx.exit(1 if report.fails(fail_on) else 0)


SUFFIXES = {".txt": "text", ".md": "markdown", ".json": "json", ".csv": "csv", ".html": "html",
            ".htm": "html"}


def _format_of(out: Path, fmt: str, explicit: bool) -> str:
    """The format a file is written in: the one its suffix names, else --format; an
    explicit --format that contradicts the suffix is refused (never a .json of text)."""
    named = SUFFIXES.get(out.suffix.lower())
    if named is None:
        return fmt
    if explicit and named != fmt:
        raise click.BadParameter(f"{out} names {named} by its suffix, but --format is {fmt}",
                                 param_hint="--out")
    return named


def _months_before(period: Period, n: int) -> Period:
    for _ in range(n):
        period = period.prev()
    return period


