"""`reconciler plan` (not built yet)."""

import click


@click.command("plan")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("'plan' is not built yet")
