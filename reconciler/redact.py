"""One redaction step for every text that reaches output, logs, saved files or JSON.

Secrets are registered where they are read (`register`: the ConnectWise credentials in
`connectwise.connect`, Trend Micro's in `sources`), and the variables that hold them are
read from the environment too (`SECRET_VARIABLES`), so a secret that a vendor echoes in
an error body, or that ends up in a URL, an exception or a log record, is replaced by
`***` wherever it came from. Each secret is matched as written, percent-encoded,
JSON-escaped and, for ConnectWise, inside the Basic credentials it is sent in. URLs lose
their user information (`https://user:pass@host` -> `https://***@host`) and a port that
is not a number (a secret written in the wrong place) whatever was registered.

`install()` puts the step in front of the process's stdout and stderr (line by line) and
of every log record; `text()` is for anything written elsewhere (plan and audit files).
CW_COMPANY_ID is not a secret (it names the site's company; the sandbox's is `sandbox`)
and is left alone; the keys it goes with are.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO
from urllib.parse import quote

MASK = "***"
SECRET_VARIABLES = (
    "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID",
    "LMPI_ACCESS_TOKEN", "LMPI_SECRET_KEY",
    "TMEMS_API_KEY",
)
# https://user:pass@host -> https://***@host
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s@?#]+@")
# https://host:notaport/ -> https://host:***/ (a secret pasted where the port goes)
_END = "/\\s?#\"',;)\\]>"  # what ends a URL's authority in running text
_BAD_PORT = re.compile(rf"(?i)(\b[a-z][a-z0-9+.-]*://[^:@{_END}]+):"
                       rf"(?=[^{_END}]*[^0-9{_END}])[^{_END}]+")

# Shorter values are not masked: they would mask ordinary words all over the output, and
# no credential is that short.
MIN_LENGTH = 4

_lock = threading.Lock()
_registered: set[str] = set()
_depth = 0  # how many `installed()` are open: registrations live as long as they do


def register(*secrets: str | None) -> None:
    """Secrets read somewhere (credentials, tokens): redacted until the command that read
    them ends (`installed`); outside a command there is no output to redact."""
    with _lock:
        if _depth:
            _registered.update(s for s in secrets if s and len(s.strip()) >= MIN_LENGTH)


def register_basic(company: str, public_key: str, private_key: str) -> None:
    """ConnectWise's Basic credentials as sent (`company+public:private`, base64)."""
    pair = f"{company}+{public_key}:{private_key}".encode()
    register(base64.b64encode(pair).decode())


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret), json.dumps(secret)[1:-1]}


def secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """Every text to mask, longest first (so a longer secret is never half-masked)."""
    env = os.environ if env is None else env
    with _lock:
        found = set(_registered)
    found.update(v for name in SECRET_VARIABLES
                 if len((v := env.get(name, "")).strip()) >= MIN_LENGTH)
    forms = {form for secret in found for form in _forms(secret) if form}
    return sorted(forms, key=lambda s: (-len(s), s))


def text(value: str, env: Mapping[str, str] | None = None) -> str:
    """`value` with every secret and URL user information masked."""
    if not value:
        return value
    for secret in secrets(env):
        if secret in value:
            value = value.replace(secret, MASK)
    value = _USERINFO.sub(rf"\1{MASK}@", value)
    return _BAD_PORT.sub(rf"\1:{MASK}", value)


class RedactingStream(io.TextIOBase):
    """A text stream that masks secrets line by line before writing to `target`."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, s: str) -> int:
        with self._lock:
            self._pending += s
            if "\n" in self._pending:
                done, _, self._pending = self._pending.rpartition("\n")
                self.target.write(text(done + "\n"))
        return len(s)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self.target.write(text(self._pending))
                self._pending = ""
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def buffer(self):  # click writes bytes through .buffer when a stream has one
        return _RedactingBuffer(self)


class _RedactingBuffer(io.RawIOBase):
    """Bytes written to a RedactingStream's buffer go through the same step."""

    def __init__(self, stream: RedactingStream) -> None:
        self.stream = stream

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.stream.write(bytes(b).decode(self.stream.encoding, "replace"))
        return len(b)

    def flush(self) -> None:
        self.stream.flush()


_factory_installed = False


def _install_log_records() -> None:
    """Every log record's message is masked when it is made (whoever handles it)."""
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        _factory_installed = True
    make = logging.getLogRecordFactory()

    def redacting(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to logging to report
            return record
        record.msg, record.args = text(message), ()
        return record

    logging.setLogRecordFactory(redacting)


@contextmanager
def installed() -> Iterator[None]:
    """stdout, stderr and log records redacted for the duration (the CLI's whole run);
    secrets registered meanwhile are forgotten at its end."""
    global _depth
    _install_log_records()
    with _lock:
        _depth += 1
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(out), RedactingStream(err)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, RedactingStream):
                stream.flush()
        sys.stdout, sys.stderr = out, err
        with _lock:
            _depth -= 1
            if not _depth:
                _registered.clear()


def texts(values: Iterable[str]) -> list[str]:
    return [text(v) for v in values]
