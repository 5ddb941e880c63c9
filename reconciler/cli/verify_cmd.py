"""`reconciler verify` (not built yet)."""

import click


@click.command("verify")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("'verify' is not built yet")
