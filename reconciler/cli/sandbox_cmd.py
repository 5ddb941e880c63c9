"""`reconciler sandbox` (not built yet)."""

import click


@click.command("sandbox")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("'sandbox' is not built yet")
