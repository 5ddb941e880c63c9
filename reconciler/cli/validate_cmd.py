"""`reconciler validate` (not built yet)."""

import click


@click.command("validate")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("'validate' is not built yet")
