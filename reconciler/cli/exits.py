"""Exit codes: what a command's outcome, or an exception escaping it, becomes.

One mapping, used by the command group and the commands, and by anything that replays
scheduled runs and wants to record each one as CI would have seen it (the simulated
years of run-due in the tests).
"""

from __future__ import annotations

from typing import Protocol

from reconciler.errors import ReconcilerError

OK = 0
FAILED = 1
INTERRUPTED = 130


class Outcome(Protocol):
    @property
    def ok(self) -> bool: ...


def expected(error: BaseException) -> bool:
    """Whether an escaping exception is one the user can act on (printed as `error: ...`),
    rather than a bug (an internal error)."""
    return isinstance(error, ReconcilerError | KeyboardInterrupt)


def error_line(error: BaseException) -> str:
    """The one line printed for an exception that escapes a command."""
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, ReconcilerError):
        return f"error: {error}"
    return (f"internal error: {type(error).__name__}: {error} "
            "(set RECONCILER_DEBUG=1 for details)")


def for_error(error: BaseException) -> int:
    """The exit code of an exception that escapes a command."""
    return INTERRUPTED if isinstance(error, KeyboardInterrupt) else FAILED


def for_report(report: Outcome) -> int:
    """The exit code of a finished run: 0 when everything is ok (run-due: all sent or
    nothing due), 1 when anything failed, was held or missed."""
    return OK if report.ok else FAILED
