"""`reconciler send-now` (not built yet)."""

import click


@click.command("send-now")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("'send-now' is not built yet")
