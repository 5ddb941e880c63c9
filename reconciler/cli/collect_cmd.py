"""`reconciler collect detections`: Email Security policy event logs into the collected files."""

from __future__ import annotations

import click

from reconciler.cli.runtime import runtime
from reconciler.schedule import parse_instant, zone
from reconciler.sources import collected_store
from reconciler.sources.collect import collect_fleet
from reconciler.sources.render import collect_json, collect_text


@click.group("collect")
def command() -> None:
    """Collect data from Trend Micro before it is gone."""


@command.command("detections")
@click.option("--at", "at_text", metavar="ISO8601",
              help="The instant to run at (default: now). Without an offset it is read in "
              "the configured time zone.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def detections(ctx: click.Context, at_text, fmt) -> None:
    """Read Trend Micro Email Security's policy event logs since the last collected point
    into the collected files (per mail domain, 15-minute slot and event type).

    The API keeps 72 hours of logs: run this at least daily (hourly is the plan). Safe to
    repeat or run after a crash: a slot is replaced whole, never added to twice. Exit 1 if
    a request failed (what was read before it is kept) or hours fell out of the window
    before they were collected (reported as lost)."""
    with runtime(ctx) as rt:
        if at_text is not None:
            # An empty --at (e.g. an unset CI variable) is an error, never a silent "now".
            rt.run_at(parse_instant(at_text, zone(rt.fleet.settings.timezone)))
        report = collect_fleet(rt.fleet, collected_store(rt.fleet), rt.email_security,
                               rt.now())
    click.echo(collect_json(report) if fmt == "json" else collect_text(report), nl=False)
    ctx.exit(0 if report.ok else 1)
