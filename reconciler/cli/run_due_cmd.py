"""`reconciler run-due`: perform every send due at an instant (default now)."""

from __future__ import annotations

import sys

import click

from reconciler.cli import exits
from reconciler.cli.runtime import runtime
from reconciler.domain.selection import select
from reconciler.schedule import parse_instant, zone
from reconciler.sends import run_due
from reconciler.sends.render import results_json, results_text


@click.command("run-due")
@click.option("--at", "at_text", metavar="ISO8601",
              help="The instant to run at (default: now). Without an offset it is read in "
              "the configured time zone.")
@click.option("--dry-run", is_flag=True, help="Read and check everything; send nothing.")
@click.option("--customer", "patterns", multiple=True, metavar="GLOB",
              help="Only customers whose slug or company identifier matches (repeatable).")
@click.option("--approve-quantities", "approve", multiple=True, metavar="CUSTOMER",
              help="Let this customer's billing past the quantity guardrail (slug or "
              "company; repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def command(ctx: click.Context, at_text, dry_run, patterns, approve, fmt) -> None:
    """Send every due billing and summary, filling gaps since the last period sent.

    A customer file with errors is left out: it gets one `failed` row of kind `config`
    naming file:line:col (empty period and key) and nothing is sent for it; the other
    customers are sent as usual.

    Exit 1 if a send failed or was held, a period was missed, or a file had errors. A
    `warning` row (a race's duplicate ticket that could not be settled; the send itself
    is done) does not change the exit code."""
    progress = None
    if sys.stderr.isatty():
        def progress(text: str) -> None:
            click.echo(f"sending {text}", err=True)
    with runtime(ctx) as rt:
        fleet = rt.fleet
        tz = zone(fleet.settings.timezone)
        # An empty --at (e.g. an unset CI variable) is an error, never a silent "now".
        at = rt.now() if at_text is None else parse_instant(at_text, tz)
        if at_text is not None:
            rt.simulate_at(at)  # in the sandbox, its tickets are entered at --at
        selection = select(fleet, patterns)
        report = run_due(fleet, rt.gateway, at, usage=rt.usage, detections=rt.detections,
                         customers=selection.enabled, dry_run=dry_run, approve=approve,
                         progress=progress, rejected=selection.rejected)
    if fmt == "json":
        output = results_json(report.results, dry_run=dry_run, requests=report.requests)
    else:
        output = results_text(report)
    click.echo(output, nl=False)
    ctx.exit(exits.for_report(report))
