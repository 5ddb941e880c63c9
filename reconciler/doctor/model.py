"""What `doctor` found: one Check per thing a first-time user gets wrong, and the report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail", "skip"]
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Check:
    """One check: `fix` says what to change and where (a file and key, an environment
    variable, or a ConnectWise screen) whenever the status is not ok."""

    name: str  # dotted, stable for scripts: connectwise.login, trend_micro.usage, ...
    status: Status
    detail: str
    fix: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "status": self.status, "detail": self.detail,
                "fix": self.fix}


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    requests: int = 0  # requests made to ConnectWise
    write_probe: bool = False

    @property
    def ready(self) -> bool:
        """Everything the configured sends need is in place: no check failed (warnings
        are worth a look but stop nothing)."""
        return not any(c.status == "fail" for c in self.checks)

    def count(self, status: Status) -> int:
        return sum(1 for c in self.checks if c.status == status)

    def to_json(self) -> dict:
        return {"format_version": FORMAT_VERSION, "ready": self.ready,
                "write_probe": self.write_probe, "requests": self.requests,
                "checks": [c.to_json() for c in self.checks]}
