"""`reconciler verify`: the Verify button for every targeted customer."""

from __future__ import annotations

import json

import click

from reconciler.cli.plan_cmd import selection_for
from reconciler.cli.runtime import runtime
from reconciler.plan.verify import rejected_checks, verify


@click.command("verify")
@click.option("--customer", "patterns", multiple=True, metavar="GLOB",
              help="Only customers whose slug or company identifier matches (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def command(ctx: click.Context, patterns, fmt) -> None:
    """Check each company exists and is not deleted; list its agreements and the default.

    A customer file with errors fails (with its file:line:col) and the others are
    verified; exit 1 if any customer failed."""
    with runtime(ctx) as rt:
        selection = selection_for(rt.root, rt.fleet, patterns, None)
        # Disabled customers are verified only when asked for by name (Verify works before
        # a customer is enabled); otherwise they are listed as skipped.
        customers = selection.enabled + (selection.disabled if patterns else ())
        skipped = () if patterns else selection.disabled
        checks, requests = verify(rt.gateway, rt.fleet.settings, customers)
    checks = sorted([*checks, *rejected_checks(selection.rejected)], key=lambda c: c.customer)
    if fmt == "json":
        click.echo(json.dumps({"format_version": 1, "requests": requests,
                               "customers": [c.to_json() for c in checks]}, indent=2))
    else:
        for c in checks:
            click.echo(f"{'ok  ' if c.ok else 'FAIL'} {c.customer} ({c.company}): {c.message}")
            for description, is_default in c.agreements:
                click.echo(f"       {'*' if is_default else ' '} {description}"
                           + ("  [default]" if is_default else ""))
            for product, text, ok in c.mappings:
                click.echo(f"       {product} -> {text}" + ("" if ok else "  <- error"))
        for c in skipped:
            click.echo(f"skip {c.slug} ({c.company}): integration disabled")
        failed = sum(1 for c in checks if not c.ok)
        click.echo(f"{len(checks) - failed} of {len(checks)} customers verified, "
                   f"{requests} requests to ConnectWise.")
    ctx.exit(1 if any(not c.ok for c in checks) else 0)
