"""`reconciler schedule`: upcoming sends per customer."""

from __future__ import annotations

from datetime import timedelta

import click

from reconciler.cli.runtime import runtime
from reconciler.domain.selection import select
from reconciler.schedule import Clock, ScheduleError, parse_date, upcoming
from reconciler.schedule.clock import start_of_day
from reconciler.sends.render import schedule_json, schedule_text

DEFAULT_DAYS = 31


@click.command("schedule")
@click.option("--from", "start_text", metavar="DATE",
              help="First day (YYYY-MM-DD, in the configured zone; default today).")
@click.option("--to", "end_text", metavar="DATE",
              help=f"Last day, included (default {DEFAULT_DAYS} days after --from).")
@click.option("--customer", "patterns", multiple=True, metavar="GLOB",
              help="Only customers whose slug or company identifier matches (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def command(ctx: click.Context, start_text, end_text, patterns, fmt) -> None:
    """Upcoming sends: when each customer's billing and summaries are due.

    A customer file with errors is left out with its file:line:col on stderr (nothing
    is scheduled for it; exit 1); the others are listed as usual."""
    with runtime(ctx) as rt:  # the configuration and the clock; no ConnectWise
        fleet, now = rt.fleet, rt.now()
    clock = Clock.of(fleet.settings.timezone, fleet.settings.send_at)
    first = parse_date(start_text) if start_text else now.astimezone(clock.tz).date()
    last = parse_date(end_text) if end_text else first + timedelta(days=DEFAULT_DAYS)
    if last < first:
        raise ScheduleError(f"--to {last} is before --from {first}")
    selection = select(fleet, patterns)
    sends = upcoming(selection.enabled, start_of_day(first, clock.tz),
                     start_of_day(last + timedelta(days=1), clock.tz), clock)
    click.echo(schedule_json(sends, first, last) if fmt == "json" else schedule_text(sends),
               nl=False)
    for bad in selection.rejected:
        for message in bad.messages():
            click.echo(f"error: {message} (nothing is scheduled for {bad.slug})", err=True)
    ctx.exit(1 if selection.rejected else 0)
