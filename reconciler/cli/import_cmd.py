"""`reconciler import` (not built yet)."""

import click


@click.command("import")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("'import' is not built yet")
