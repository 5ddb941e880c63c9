"""The runtime a command runs with: the real one, or the factory a test handed in."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.runtime import Runtime, open_runtime


def runtime(ctx: click.Context, *, partial: bool = True) -> Runtime:
    """This invocation's runtime for `--root`; tests pass `obj={"open_runtime": factory}`
    to the CLI to run it with a scripted transport, options or clock."""
    factory = ctx.obj.get("open_runtime", open_runtime)
    return factory(Path(ctx.obj["root"]), partial=partial)
