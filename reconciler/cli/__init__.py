"""The `reconciler` command line: thin click commands, one module per command.

Each command parses options, takes a runtime (reconciler.runtime: configuration,
ConnectWise, sources, clock), calls one service, renders the result and picks the exit
code. Errors the user can act on (`ReconcilerError`) print as one sentence; anything
else prints as an internal error without a traceback unless RECONCILER_DEBUG is set.
Everything printed passes `reconciler.redact` (secrets and URL user information masked).
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from reconciler import __version__, redact
from reconciler.cli import exits

# Command name -> module under reconciler.cli; each module exports `command`. Modules are
# imported only when their command runs, so `validate` doesn't pay for httpx and friends.
COMMANDS = {
    "validate": "validate_cmd",
    "plan": "plan_cmd",
    "apply": "apply_cmd",
    "verify": "verify_cmd",
    "import": "import_cmd",
    "schedule": "schedule_cmd",
    "run-due": "run_due_cmd",
    "send-now": "send_now_cmd",
    "waive": "waive_cmd",
    "history": "history_cmd",
    "audit": "audit_cmd",
    "doctor": "doctor_cmd",
    "sandbox": "sandbox_cmd",
    "collect": "collect_cmd",
}


class ReconcilerGroup(click.Group):
    """Loads commands lazily and turns exceptions into one clear line and exit code 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = COMMANDS.get(name)
        if module is None:
            return None
        return importlib.import_module(f"reconciler.cli.{module}").command

    def invoke(self, ctx: click.Context):
        # Every text the command prints (results, vendor error bodies, errors, logs)
        # passes the one redaction step.
        with redact.installed():
            return self._invoke(ctx)

    def _invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            if not exits.expected(exc) and os.environ.get("RECONCILER_DEBUG"):
                raise
            click.echo(exits.error_line(exc), err=True)
            ctx.exit(exits.for_error(exc))


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
    ctx.ensure_object(dict)  # tests may hand in {"open_runtime": factory}
    ctx.obj["root"] = root


def main() -> None:
    cli(prog_name="reconciler")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
