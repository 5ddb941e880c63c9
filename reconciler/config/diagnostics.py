"""Diagnostics: one problem in one file, located at line:col, and the error carrying them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reconciler.errors import ConfigError

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem found while loading a fleet.

    `line` and `col` are 1-based; 0 means the problem concerns the whole file (missing,
    unreadable), and then `str()` prints `path: error: message`.
    """

    path: str
    line: int
    col: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "message": self.message,
        }


def errors_only(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


class FleetInvalid(ConfigError):
    """The fleet has at least one error; carries every diagnostic (warnings too)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        errors = errors_only(self.diagnostics)
        lines = "\n".join(str(d) for d in self.diagnostics)
        super().__init__(
            f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the configuration:\n{lines}"
        )

    @property
    def errors(self) -> list[Diagnostic]:
        return errors_only(self.diagnostics)
