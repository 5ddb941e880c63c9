"""`reconciler history` (not built yet)."""

import click


@click.command("history")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("'history' is not built yet")
