"""User-facing errors.

Anything raised as a `ReconcilerError` is a problem with input or with the outside world
that the CLI prints as one clear sentence (never a traceback) and turns into exit code 1.
Messages must never contain credentials.
"""

from __future__ import annotations


class ReconcilerError(Exception):
    """A failure the user can act on; its message is printed as-is."""


class ConfigError(ReconcilerError):
    """Configuration that cannot be loaded; the message names file:line:col where known."""
