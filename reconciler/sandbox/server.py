"""Running the sandbox: on loopback in a thread (`serve`), or in process (`transport`).

A dropped connection is the app raising `DropConnection`: the served server closes the
socket without answering; the in-process transport raises `httpx.RemoteProtocolError`,
which is what httpx raises for a real server that hangs up.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Iterator
from socketserver import ThreadingMixIn
from wsgiref.handlers import BaseHandler
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

import httpx

from reconciler.net.urls import is_loopback_host

from .faults import DropConnection


class _Handler(ServerHandler):
    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], DropConnection):
            return  # nothing written: the client sees the connection close
        super().handle_error()

    def close(self) -> None:
        if self.status is None:  # dropped: no status to log
            BaseHandler.close(self)
            return
        super().close()

    def log_exception(self, exc_info) -> None:  # never print request details
        pass


class _RequestHandler(WSGIRequestHandler):
    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _Handler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(),
                           multithread=True)
        handler.request_handler = self
        handler.run(self.server.get_app())

    def log_message(self, format: str, *args) -> None:  # quiet, and never logs headers
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client hanging up mid-request is not worth a traceback


class _Server6(_Server):
    address_family = socket.AF_INET6


@contextlib.contextmanager
def serve(app, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` on loopback in a daemon thread; yields the base URL."""
    if not is_loopback_host(host):
        raise ValueError("the sandbox only listens on loopback (127.0.0.0/8, ::1 or localhost)")
    server_class = _Server6 if ":" in host else _Server
    server = server_class((host.strip("[]"), port), _RequestHandler)
    server.set_app(app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="sandbox-server", daemon=True)
    thread.start()
    try:
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        yield f"http://{shown}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _DroppingTransport(httpx.BaseTransport):
    """httpx.WSGITransport that turns the app's drop signal into a protocol error."""

    def __init__(self, app) -> None:
        self._inner = httpx.WSGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self._inner.handle_request(request)
        except DropConnection:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request) from None

    def close(self) -> None:
        self._inner.close()


def transport(app) -> httpx.BaseTransport:
    """An in-process httpx transport over the sandbox app."""
    return _DroppingTransport(app)
