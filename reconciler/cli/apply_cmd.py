"""`reconciler apply` (not built yet)."""

import click


@click.command("apply")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("'apply' is not built yet")
