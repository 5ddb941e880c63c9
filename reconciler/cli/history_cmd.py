"""`reconciler history [CUSTOMER]`: the audit trail of effective policies from git."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.review.history import history
from reconciler.review.render import history_json, history_text


@click.command("history")
@click.argument("customer", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--since", metavar="REF", help="Only commits after this git ref (tag, branch, id).")
@click.pass_context
def command(ctx: click.Context, customer: str | None, fmt: str, since: str | None) -> None:
    """Every commit that changed CUSTOMER's effective policy (all customers if omitted).

    CUSTOMER is the file name without .yaml (acme) or the ConnectWise company id (ACME).
    Edits of reconciler.yaml count for every customer on global settings. Newest first,
    with date, author, commit and the semantic change.
    """
    root = Path((ctx.obj or {}).get("root", "."))
    result = history(root, customer, since=since)
    click.echo(history_json(result) if fmt == "json" else history_text(result), nl=False)
