"""The `reconciler` command line: thin click commands, one module per command.

Each command parses options, calls one service, renders the result and picks the exit
code. Errors the user can act on (`ReconcilerError`) print as one sentence; anything
else prints as an internal error without a traceback unless RECONCILER_DEBUG is set.
"""

from __future__ import annotations

import os
import sys

import click

from reconciler import __version__
from reconciler.errors import ReconcilerError


class ReconcilerGroup(click.Group):
    """A group that turns exceptions into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except ReconcilerError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:
            if os.environ.get("RECONCILER_DEBUG"):
                raise
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} (set RECONCILER_DEBUG=1 for details)",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=ReconcilerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=str),
    default=".",
    show_default=True,
    envvar="RECONCILER_ROOT",
    help="Fleet root: the folder holding reconciler.yaml and customers/.",
)
@click.pass_context
def cli(ctx: click.Context, root: str) -> None:
    """Trend Micro Remote Manager's ConnectWise Manage settings as code."""
    ctx.obj = {"root": root}


def _register() -> None:
    # One module per command keeps each command small and owned by one part of the package.
    from reconciler.cli import (
        apply_cmd,
        history_cmd,
        import_cmd,
        plan_cmd,
        run_due_cmd,
        sandbox_cmd,
        schedule_cmd,
        send_now_cmd,
        validate_cmd,
        verify_cmd,
    )

    for module in (
        validate_cmd,
        plan_cmd,
        apply_cmd,
        verify_cmd,
        import_cmd,
        schedule_cmd,
        run_due_cmd,
        send_now_cmd,
        history_cmd,
        sandbox_cmd,
    ):
        cli.add_command(module.command)


_register()


def main() -> None:
    cli(prog_name="reconciler")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
