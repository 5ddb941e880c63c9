"""`reconciler validate [PATHS]`: strict YAML + schema + semantic checks, every error."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.config import check
from reconciler.config.diagnostics import Diagnostic


def summary(diagnostics: tuple[Diagnostic, ...], files: int) -> str:
    """`9 files valid`, or `3 errors in 2 of 9 files` (warnings counted apart)."""
    errors = [d for d in diagnostics if d.severity == "error"]
    warnings = len(diagnostics) - len(errors)
    noun = "file" if files == 1 else "files"
    if errors:
        bad = len({d.path for d in errors})
        text = f"{len(errors)} error{'s' if len(errors) != 1 else ''} in {bad} of {files} {noun}"
    else:
        text = f"{files} {noun} valid"
    if warnings:
        text += f", {warnings} warning{'s' if warnings != 1 else ''}"
    return text


def _from_cwd(given: str) -> str:
    """A path typed in the shell means the file in the current folder when it exists
    there; otherwise it is taken relative to --root (as the library takes it)."""
    path = Path(given)
    try:
        here = not path.is_absolute() and path.exists()
    except OSError:  # e.g. a name too long for the file system: the loader reports it
        here = False
    return str(path.absolute()) if here else given


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.pass_context
def command(ctx: click.Context, paths: tuple[str, ...], fmt: str) -> None:
    """Check customer files (PATHS: files or folders; default customers/) and reconciler.yaml.

    Reports every problem as path:line:col. Exit 0 when valid (warnings allowed), 1 if not.
    """
    root = (ctx.obj or {}).get("root", ".")
    result = check(root, [_from_cwd(p) for p in paths] or None)
    valid = not any(d.severity == "error" for d in result.diagnostics)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "format_version": 1,
                    "valid": valid,
                    "files": result.files,
                    "errors": [d.to_json() for d in result.diagnostics],
                },
                indent=2,
            )
        )
    else:
        for diagnostic in result.diagnostics:
            click.echo(str(diagnostic))
        click.echo(summary(result.diagnostics, result.files))
    ctx.exit(0 if valid else 1)
