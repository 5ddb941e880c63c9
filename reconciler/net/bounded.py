"""Reading an answer within a total deadline and a size cap, whatever the server does.

httpx's timeouts apply to each socket operation, so a server trickling one byte every
20 s never trips them (encode/httpx#1450: no total timeout yet), and `response.read()`
takes a body of any size, decompressed without limit. Here, one request is bounded as a
whole:
- a deadline (seconds, from the moment it is sent): every socket operation of the
  exchange (connect, TLS, writes, the reads of status line, headers and body) is given
  only the time left, through an httpcore network backend (`DeadlineTransport`), and the
  body is also checked against the clock after every chunk (which bounds transports that
  do not go through sockets, such as the in-process sandbox);
- a size cap on the body AFTER decompression, counted while decoding: gzip and deflate
  are inflated here with `max_length`, so a small bomb never grows past the cap in
  memory. Only the encodings asked for (gzip, deflate) are accepted.
`DeadlineExceeded` is a timeout (a transport error: retried where repeating is safe, as
a drop is); `ResponseTooLarge` and `UnreadableAnswer` are not (the same request would
get the same answer).
"""

from __future__ import annotations

import threading
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from reconciler.net.defaults import DEADLINE_SECONDS, MAX_RESPONSE_MB

DEFAULT_DEADLINE = DEADLINE_SECONDS
DEFAULT_MAX_BYTES = MAX_RESPONSE_MB * 1024 * 1024
ACCEPT_ENCODING = "gzip, deflate"  # what we can inflate within the cap


class DeadlineExceeded(httpx.ReadTimeout):
    """No complete answer within the deadline (a stall: worth another attempt)."""


class ResponseTooLarge(httpx.RequestError):
    """The answer's body is larger than the cap (after decompression)."""


class UnreadableAnswer(httpx.DecodingError):
    """The body's encoding is one we did not ask for, or does not inflate."""


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


# -- the deadline of the exchange running in this thread ---------------------------------

_local = threading.local()


@contextmanager
def deadline_scope(at: float, clock: Callable[[], float]) -> Iterator[None]:
    """Socket operations of this thread made inside get at most `at - clock()` seconds."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = (at, clock)
    try:
        yield
    finally:
        _local.deadline = previous


def _bounded(timeout: float | None, exc: type[Exception]) -> float | None:
    """The timeout for one socket operation: the smaller of its own and the time left."""
    current = getattr(_local, "deadline", None)
    if current is None:
        return timeout
    at, clock = current
    left = at - clock()
    if left <= 0:
        raise exc("deadline reached")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        timeout = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with every operation bounded by the thread's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        timeout = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        timeout = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _as_httpx_error(exc: Exception) -> Exception:
    """httpcore's exception as the httpx exception of the same name (httpx mirrors them)."""
    for cls in type(exc).__mro__:
        mapped = getattr(httpx, cls.__name__, None)
        if isinstance(mapped, type) and issubclass(mapped, httpx.TransportError):
            return mapped(str(exc))
    return exc


class _Body(httpx.SyncByteStream):
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._inner
        except Exception as exc:
            mapped = _as_httpx_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    def close(self) -> None:
        self._inner.close()


class DeadlineTransport(httpx.BaseTransport):
    """An HTTP transport whose socket operations honour `deadline_scope`: httpcore's
    connection pool (documented `network_backend` hook) over a bounded backend.
    Proxies come from the environment (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY), as
    httpx's own transport would take them."""

    def __init__(self, *, limits: httpx.Limits, proxy_for: str | None = None) -> None:
        ssl_context = httpx.create_ssl_context()
        common: dict[str, Any] = {
            "ssl_context": ssl_context,
            "max_connections": limits.max_connections,
            "max_keepalive_connections": limits.max_keepalive_connections,
            "keepalive_expiry": limits.keepalive_expiry,
            "network_backend": _DeadlineBackend(),
        }
        proxy = environment_proxy(proxy_for) if proxy_for else None
        if proxy is None:
            self._pool: httpcore.ConnectionPool = httpcore.ConnectionPool(**common)
        else:
            self._pool = httpcore.HTTPProxy(
                proxy_url=httpcore.URL(scheme=proxy.url.raw_scheme, host=proxy.url.raw_host,
                                       port=proxy.url.port, target=proxy.url.raw_path),
                proxy_auth=proxy.raw_auth, proxy_headers=proxy.headers.raw, **common)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host,
                             port=request.url.port, target=request.url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            answer = self._pool.handle_request(core_request)
        except Exception as exc:
            mapped = _as_httpx_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return httpx.Response(status_code=answer.status, headers=answer.headers,
                              stream=_Body(answer.stream), extensions=answer.extensions)

    def close(self) -> None:
        self._pool.close()


def environment_proxy(url: str) -> httpx.Proxy | None:
    """The http(s) proxy the environment names for `url`, if any (NO_PROXY honoured)."""
    target = httpx.URL(url)
    proxies = urllib.request.getproxies()
    found = proxies.get(target.scheme) or proxies.get("all")
    if not found or urllib.request.proxy_bypass(target.host):
        return None
    proxy = httpx.Proxy(found if "://" in found else f"http://{found}")
    if proxy.url.scheme not in ("http", "https"):
        raise ValueError(f"only http(s) proxies are supported, not {proxy.url.scheme}")
    return proxy


# -- reading the answer ------------------------------------------------------------------


def send(
    client: httpx.Client,
    request: httpx.Request,
    *,
    deadline: float = DEFAULT_DEADLINE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    clock: Callable[[], float] = time.monotonic,
) -> httpx.Response:
    """Send `request` and read the whole answer within `deadline` seconds and `max_bytes`
    decoded bytes; the answer comes back read (its content decoded, `Content-Encoding`
    dropped). Raises DeadlineExceeded, ResponseTooLarge, UnreadableAnswer or httpx's
    own transport errors."""
    at = clock() + deadline
    with deadline_scope(at, clock):
        try:
            response = client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            if clock() >= at:
                raise DeadlineExceeded(_late(deadline), request=request) from exc
            raise
        try:
            body = _read_body(response, max_bytes, at, clock, deadline)
        except httpx.TimeoutException as exc:
            if clock() >= at and not isinstance(exc, DeadlineExceeded):
                raise DeadlineExceeded(_late(deadline), request=request) from exc
            raise
        finally:
            response.close()
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=headers, content=body,
                          request=request, extensions=response.extensions)


def _late(deadline: float) -> str:
    return f"no complete answer within {deadline:g} s"


def _read_body(response: httpx.Response, max_bytes: int, at: float,
               clock: Callable[[], float], deadline: float) -> bytes:
    if response.is_stream_consumed:  # built in memory (a mock transport): already whole
        if len(response.content) > max_bytes:
            raise _too_large(max_bytes, response.request)
        return response.content
    declared = response.headers.get("Content-Length", "")
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("identity", "") and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes, response.request)
    inflater = Inflater(encoding, response.request)
    parts: list[bytes] = []
    size = 0
    for raw in _with_end(response.iter_raw()):
        if clock() >= at:
            raise DeadlineExceeded(_late(deadline), request=response.request)
        for piece in inflater.feed(raw):
            size += len(piece)
            if size > max_bytes:
                raise _too_large(max_bytes, response.request)
            parts.append(piece)
    return b"".join(parts)


def _with_end(chunks: Iterator[bytes]) -> Iterator[bytes | None]:
    yield from chunks
    yield None


def _too_large(max_bytes: int, request: httpx.Request) -> ResponseTooLarge:
    return ResponseTooLarge(f"the answer is larger than {megabytes(max_bytes)}",
                            request=request)


class Inflater:
    """Decodes a body chunk by chunk (`feed(None)` at the end), never producing more than
    PIECE bytes at a time whatever the compression ratio, so a bomb is stopped by the
    caller's count while still small in memory."""

    PIECE = 64 * 1024

    def __init__(self, encoding: str, request: httpx.Request) -> None:
        self.encoding = encoding
        self._request = request
        self._z: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding not in ("identity", "", "deflate"):
            raise UnreadableAnswer(f"the answer is encoded as {encoding!r}, which was not "
                                   f"asked for (accepted: {ACCEPT_ENCODING})", request=request)

    def feed(self, raw: bytes | None) -> Iterator[bytes]:
        if self.encoding in ("identity", ""):
            if raw:
                yield raw
            return
        try:
            if self._z is None:  # deflate: zlib-wrapped (RFC 9110) or raw, both are seen
                if not raw:
                    return
                wrapped = len(raw) >= 2 and raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0
                self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            data = raw or b""
            while data:
                piece = self._z.decompress(data, self.PIECE)
                if piece:
                    yield piece
                data = self._z.unconsumed_tail
            if raw is None:
                yield self._z.flush()
        except zlib.error as exc:
            raise UnreadableAnswer(f"the answer's {self.encoding} body does not inflate",
                                   request=self._request) from exc
