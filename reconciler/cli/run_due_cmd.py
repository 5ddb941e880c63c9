"""`reconciler run-due` (not built yet)."""

import click


@click.command("run-due")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("'run-due' is not built yet")
