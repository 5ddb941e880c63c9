"""A hostile ConnectWise look-alike on 127.0.0.1, for the transport-hardening tests.

It answers codebase discovery like ConnectWise, then every API request with one hostile
behaviour (`mode`): trickling one byte at a time (in the body or in the headers), a
`Link` header alternating between two pages, endless full pages (new records each time,
or the same page again), a huge body (with or without Content-Length) or a gzip bomb.
It counts the bytes it managed to send, so a test can show the client stopped reading.
"""

from __future__ import annotations

import contextlib
import json
import threading
import zlib
from collections.abc import Iterator
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API = "/v2025_1/apis/3.0"
MODES = ("trickle", "trickle-headers", "alternating-link", "endless-new", "endless-same",
         "huge", "huge-declared", "gzip-bomb")
HUGE = 300 * 1024 * 1024  # what the adversarial server sent (OOM-killed at 24 GB)
BLOCK = b'{"id": 1, "name": "padding padding padding padding padding"},' * 1024


@cache
def gzip_bomb(size: int = 1024 * 1024 * 1024) -> bytes:
    """gzip of `size` zero bytes (1 GiB -> about 4.5 MB at level 1, under a second)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    parts = [packer.compress(zeros) for _ in range(size // len(zeros))]
    parts.append(packer.flush())
    return b"".join(parts)


class HostileSite:
    def __init__(self, mode: str, *, interval: float = 0.05) -> None:
        assert mode in MODES, mode
        self.mode = mode
        self.interval = interval
        self.stopping = threading.Event()
        self.bytes_sent = 0
        self.api_requests: list[str] = []
        self._lock = threading.Lock()
        self.url = ""

    def sent(self, count: int) -> None:
        with self._lock:
            self.bytes_sent += count

    @contextlib.contextmanager
    def serve(self) -> Iterator[HostileSite]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                # A client that gives up mid-answer is what the tests want.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError,
                                         ConnectionAbortedError):
                    site.answer(self)
                self.close_connection = True

            do_POST = do_GET  # a write meets the same hostility

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.stopping.set()
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)

    # -- answers ---------------------------------------------------------------------
    def answer(self, h: BaseHTTPRequestHandler) -> None:
        path = urlsplit(h.path).path
        if path.startswith("/login/companyinfo/"):
            self.json(h, {"CompanyName": "Hostile", "Codebase": "v2025_1/", "CompanyID": "x"})
            return
        self.api_requests.append(h.path)
        getattr(self, self.mode.replace("-", "_"))(h)

    def json(self, h: BaseHTTPRequestHandler, body: object, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")  # one request per connection: counts are exact
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)
        self.sent(len(data))

    def write_slowly(self, h: BaseHTTPRequestHandler, data: bytes) -> None:
        for byte in data:
            if self.stopping.wait(self.interval):
                return
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            self.sent(1)

    def trickle(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.flush()
        self.write_slowly(h, b"[" + b" " * 99_999)

    def trickle_headers(self, h: BaseHTTPRequestHandler) -> None:
        self.write_slowly(h, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 100_000)

    def page(self, h: BaseHTTPRequestHandler) -> tuple[int, int]:
        query = parse_qs(urlsplit(h.path).query)
        return int(query.get("page", ["1"])[0]), int(query.get("pageSize", ["25"])[0])

    def alternating_link(self, h: BaseHTTPRequestHandler) -> None:
        number, _ = self.page(h)
        other = 2 if number == 1 else 1
        link = f'<{self.url}{API}/company/companies?page={other}>; rel="next"'
        self.json(h, [{"id": number, "identifier": f"C{number}"}], {"Link": link})

    def endless_new(self, h: BaseHTTPRequestHandler) -> None:
        number, size = self.page(h)
        self.json(h, [{"id": number * size + i, "identifier": f"C{number}-{i}"}
                      for i in range(size)])

    def endless_same(self, h: BaseHTTPRequestHandler) -> None:
        _, size = self.page(h)
        self.json(h, [{"id": i, "identifier": f"C{i}"} for i in range(size)])

    def huge(self, h: BaseHTTPRequestHandler, *, declared: bool = False) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        if declared:
            h.send_header("Content-Length", str(HUGE))
        else:
            h.send_header("Connection", "close")  # the body ends when the socket does
        h.end_headers()
        h.wfile.write(b"[")
        sent = 1
        while sent < HUGE and not self.stopping.is_set():
            h.wfile.write(BLOCK)
            sent += len(BLOCK)
            self.sent(len(BLOCK))

    def huge_declared(self, h: BaseHTTPRequestHandler) -> None:
        self.huge(h, declared=True)

    def gzip_bomb(self, h: BaseHTTPRequestHandler) -> None:
        bomb = gzip_bomb()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(bomb)))
        h.end_headers()
        for start in range(0, len(bomb), 65536):
            if self.stopping.is_set():
                return
            h.wfile.write(bomb[start:start + 65536])
            self.sent(min(65536, len(bomb) - start))
