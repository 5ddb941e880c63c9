"""`reconciler schedule` (not built yet)."""

import click


@click.command("schedule")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("'schedule' is not built yet")
