"""`reconciler import`: write customer files from live ConnectWise."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from reconciler.cli.runtime import runtime
from reconciler.importer import import_companies


@click.command("import")
@click.option("--company", "companies", multiple=True, metavar="ID",
              help="ConnectWise company identifier to import (repeatable).")
@click.option("--all", "import_all", is_flag=True,
              help="Every company without a customer file that has an active agreement of a "
              "default agreement type.")
@click.option("--trend-micro-id", metavar="ID",
              help="The customer's Trend Micro ID (one --company only); the file is then "
              "written with integration: enabled.")
@click.option("--overwrite", is_flag=True, help="Replace existing customer files.")
@click.pass_context
def command(ctx: click.Context, companies, import_all, trend_micro_id, overwrite) -> None:
    """Write customers/<slug>.yaml from ConnectWise, mapping additions to agreements."""
    if bool(companies) == import_all:
        raise click.UsageError("give --company ID (repeatable) or --all")
    if trend_micro_id and len(companies) != 1:
        raise click.UsageError("--trend-micro-id goes with exactly one --company")
    with runtime(ctx, partial=False) as rt:
        today = rt.now().astimezone(ZoneInfo(rt.fleet.settings.timezone)).date()
        results = import_companies(
            rt.gateway, rt.fleet, None if import_all else list(companies), today=today,
            overwrite=overwrite, trend_micro_id=trend_micro_id,
        )
    for r in results:
        if r.error:
            click.echo(f"error: {r.error}", err=True)
        else:
            click.echo(f"wrote {r.path} (company {r.company})")
            for note in r.notes:
                click.echo(f"  note: {note}")
    if not results:
        click.echo("Nothing to import: every candidate company already has a customer file.")
    ctx.exit(1 if any(r.error for r in results) else 0)
