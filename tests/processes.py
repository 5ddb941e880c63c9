"""Long-running processes in tests (`reconciler sandbox serve`, racing CLI runs): started in
a process group of their own, waited on with generous explicit deadlines (a banner line,
an exit), never a fixed sleep, and always killed, group and all, when the test ends.

    with Process([sys.executable, "-m", "reconciler", "sandbox", "serve"]) as server:
        url = server.wait_for(rb"listening on (\\S+)").group(1)
        ...
        assert server.stop(signal.SIGINT) == 0
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

# Deadlines for a loaded CI machine (2 CPUs shared with other jobs): generous, since
# waiting longer than needed costs nothing when things work.
READY_TIMEOUT = 60.0  # a banner
STOP_TIMEOUT = 30.0  # an exit after a stop signal
RUN_TIMEOUT = 180.0  # a CLI run to completion
QUICK_TIMEOUT = 120.0  # a short helper command run with subprocess.run (git, a linter)

# How a process inherits SIGINT as ignored, as from `cmd &` in a non-interactive shell
# or nohup: set SIG_IGN, then exec (the disposition survives exec; Python then never
# installs its KeyboardInterrupt handler).
_IGNORING_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                    "os.execv(sys.argv[1], sys.argv[1:])")

_EOF = b""


class Process:
    """A child process whose stdout is read line by line in the background."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str] | None = None,
                 cwd: str | os.PathLike | None = None, sigint_ignored: bool = False) -> None:
        argv = [str(a) for a in argv]
        if sigint_ignored:
            argv = [sys.executable, "-c", _IGNORING_SIGINT, *argv]
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=cwd, start_new_session=True)
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._stdout: list[bytes] = []
        self._stderr: list[bytes] = []
        self._pumps = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self._stdout, True),
                             daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self._stderr, False),
                             daemon=True),
        ]
        for pump in self._pumps:
            pump.start()

    def _pump(self, stream, sink: list[bytes], lines: bool) -> None:
        for line in iter(stream.readline, b""):
            sink.append(line)
            if lines:
                self._lines.put(line)
        if lines:
            self._lines.put(_EOF)

    # -- waiting --------------------------------------------------------------------------
    def wait_for(self, pattern: bytes, timeout: float = READY_TIMEOUT) -> re.Match[bytes]:
        """The first stdout line (from here on) matching `pattern`; fails clearly if the
        process exits first or nothing matches within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line matching {pattern!r} within {timeout:g} s "
                                     f"from {self.argv}\n{self.output()}")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line == _EOF:
                self.proc.wait(timeout=STOP_TIMEOUT)
                raise AssertionError(f"{self.argv} exited ({self.proc.returncode}) before "
                                     f"printing {pattern!r}\n{self.output()}")
            match = re.search(pattern, line)
            if match:
                return match

    def wait(self, timeout: float = RUN_TIMEOUT) -> int:
        """The exit code, waiting at most `timeout` seconds (then it fails clearly)."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.argv} still running after {timeout:g} s\n"
                                 f"{self.output()}") from None
        for pump in self._pumps:
            pump.join(timeout=STOP_TIMEOUT)
        return code

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send `sig` to the process (not its group) and wait for it to exit."""
        self.proc.send_signal(sig)
        return self.wait(timeout)

    # -- what it printed --------------------------------------------------------------------
    @property
    def stdout(self) -> bytes:
        return b"".join(self._stdout)

    @property
    def stderr(self) -> bytes:
        return b"".join(self._stderr)

    def output(self) -> str:
        return (self.stdout + self.stderr).decode("utf-8", "replace")

    # -- cleaning up ------------------------------------------------------------------------
    def kill(self) -> None:
        """SIGKILL the whole process group (anything it started too) and reap it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=STOP_TIMEOUT)
        for stream in (self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                stream.close()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def group_gone(pid: int) -> bool:
    """Whether no process of the group `pid` is left."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False
