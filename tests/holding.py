"""Deterministic concurrency over real HTTP: a WSGI proxy in front of the sandbox that
holds chosen requests at a gate until the test releases them (or until a number of
requests have arrived: a barrier), so "one run stalls while another bills" happens the
same way every time, never by luck or sleeps.

Serve one proxy per process under test (each its own URL), all in front of the same
sandbox app, so the gates know whose request is whose."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

DEADLINE = 120.0  # seconds a held request or a waiting test gives up after: generous


@dataclass
class Gate:
    """Holds the first `times` requests matching `method` and the path pattern. They go
    on when `release()` is called, or by themselves once `parties` requests are held (a
    barrier: every party has reached the same point)."""

    method: str
    pattern: str
    times: int = 1
    parties: int | None = None
    arrived: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _open: bool = False

    def takes(self, method: str, path: str) -> bool:
        with self._cond:
            if method != self.method or not re.search(self.pattern, path):
                return False
            if self.arrived >= self.times:
                return False
            self.arrived += 1
            self._cond.notify_all()
            return True

    def hold(self) -> None:
        with self._cond:
            if self.parties is not None and self.arrived >= self.parties:
                self._open = True
                self._cond.notify_all()
            if not self._cond.wait_for(lambda: self._open, timeout=DEADLINE):
                raise TimeoutError(f"gate {self.method} {self.pattern} never released")

    def wait_arrived(self, count: int = 1) -> None:
        """Block the test until `count` requests are held here (or fail loudly)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.arrived >= count, timeout=DEADLINE):
                raise TimeoutError(f"no request reached gate {self.method} {self.pattern}")

    def release(self) -> None:
        with self._cond:
            self._open = True
            self._cond.notify_all()


@dataclass
class HoldingProxy:
    """WSGI: requests pass to `app`, except that each gate holds the ones it takes."""

    app: Any
    gates: list[Gate] = field(default_factory=list)

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        for gate in self.gates:
            if gate.takes(method, path):
                gate.hold()
                break
        return self.app(environ, start_response)
