"""`reconciler doctor`: check a site before trusting it with billing."""

from __future__ import annotations

import click

from reconciler.cli.runtime import runtime
from reconciler.doctor import diagnose
from reconciler.doctor.render import as_json, text


@click.command("doctor")
@click.option("--write-probe", "write_probe", is_flag=True,
              help="Also prove the ticket writes run-due makes: create two tickets with a "
              "probe key under --probe-company on tickets.board, then settle both (marked "
              "and closed, never deleted). Without it nothing is written.")
@click.option("--probe-company", metavar="IDENTIFIER",
              help="The ConnectWise company the probe tickets are filed under (required "
              "with --write-probe; e.g. your own company's identifier).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def command(ctx: click.Context, write_probe, probe_company, fmt) -> None:
    """Check the ConnectWise site and the Trend Micro sources: credentials and clientId,
    codebase, API version, clock, read access, and that the configured boards, statuses,
    priority, type, agreement types and catalog items exist. Read-only unless
    --write-probe.

    Exit 0 when everything the configured sends need is in place, 1 otherwise."""
    if write_probe and not probe_company:
        raise click.UsageError("--write-probe needs --probe-company: the ConnectWise company "
                               "the probe tickets are filed under")
    if probe_company and not write_probe:
        raise click.UsageError("--probe-company is only used with --write-probe")
    with runtime(ctx) as rt:
        report = diagnose(rt, probe_company=probe_company if write_probe else None)
    click.echo(as_json(report) if fmt == "json" else text(report), nl=False)
    ctx.exit(0 if report.ready else 1)
