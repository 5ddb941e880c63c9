"""Reading an answer within a deadline and a size cap (the hostile-server cases over real
HTTP are in tests/connectwise/test_hostile_site.py): decoding, refusals, proxies."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from reconciler.connectwise import ConnectWiseClient, Credentials, TransportFailed
from reconciler.net.bounded import (
    Inflater,
    ResponseTooLarge,
    UnreadableAnswer,
    environment_proxy,
    send,
)

BODY = json.dumps([{"id": n, "name": f"record {n}"} for n in range(2000)]).encode()
REQUEST = httpx.Request("GET", "https://cw.example.com/x")


def inflate_all(encoding: str, data: bytes, chunk: int = 1000) -> bytes:
    inflater = Inflater(encoding, REQUEST)
    out = []
    for start in range(0, len(data), chunk):
        out += inflater.feed(data[start:start + chunk])
    out += inflater.feed(None)
    return b"".join(out)


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("identity", lambda b: b), ("gzip", gzip.compress), ("x-gzip", gzip.compress),
     ("deflate", zlib.compress),  # RFC 9110's deflate: zlib-wrapped
     ("deflate", lambda b: zlib.compress(b)[2:-4])],  # ... and the raw form servers send
)
def test_inflater_decodes_what_we_ask_for(encoding, encode):
    assert inflate_all(encoding, encode(BODY)) == BODY


def test_inflater_never_yields_more_than_a_piece_at_a_time():
    bomb = gzip.compress(bytes(50 * 1024 * 1024))  # 50 MiB of zeros in ~50 KB
    inflater = Inflater("gzip", REQUEST)
    pieces = list(inflater.feed(bomb))
    assert max(len(p) for p in pieces) <= Inflater.PIECE


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
def test_encodings_not_asked_for_are_refused(encoding):
    with pytest.raises(UnreadableAnswer, match="which was not asked for"):
        Inflater(encoding, REQUEST)


def test_a_corrupt_body_is_unreadable():
    with pytest.raises(UnreadableAnswer, match="does not inflate"):
        inflate_all("gzip", b"\x1f\x8b\x08\x00garbage-garbage-garbage")


def answer(headers: dict, body: bytes):
    """An httpx client whose every answer streams `body` with `headers`."""
    def handler(request):
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_send_returns_the_decoded_answer_without_its_encoding():
    with answer({"Content-Encoding": "gzip", "Link": "<x>"}, gzip.compress(BODY)) as client:
        response = send(client, client.build_request("GET", "https://cw.example.com/x"))
    assert response.content == BODY and response.json()[5]["id"] == 5
    assert "Content-Encoding" not in response.headers and response.headers["Link"] == "<x>"


def test_a_declared_length_over_the_cap_is_refused_before_reading():
    with answer({"Content-Length": str(10**12)}, b"[]") as client, \
            pytest.raises(ResponseTooLarge, match="larger than 1 MiB"):
        send(client, client.build_request("GET", "https://cw.example.com/x"),
             max_bytes=1024 * 1024)


def test_an_unasked_encoding_is_a_clear_error_never_retried():
    calls = []

    def handler(request):
        calls.append(request)
        if request.url.path.startswith("/login/"):
            return httpx.Response(200, json={"Codebase": "v1/"})
        return httpx.Response(200, headers={"Content-Encoding": "br"},
                              stream=httpx.ByteStream(b"\x0b\x01\x80[]\x03"))

    creds = Credentials("acme", "pub", "private-key", "0b8f6c7e-1111-2222-3333-444455556666")
    client = ConnectWiseClient("https://cw.example.com", creds, sleep=lambda s: None,
                               transport=httpx.MockTransport(handler))
    with pytest.raises(TransportFailed, match=r"\(UnreadableAnswer\): the answer is encoded "
                                              r"as 'br', which was not asked for"):
        client.get("/system/info")
    assert len(calls) == 2  # discovery, then one attempt
    assert calls[-1].headers["Accept-Encoding"] == "gzip, deflate"


# -- proxies from the environment keep working ------------------------------------------

def test_environment_proxy_follows_http_proxy_and_no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
                 "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert environment_proxy("https://cw.example.com") is None
    monkeypatch.setenv("https_proxy", "http://user:pw@proxy.internal:3128")
    proxy = environment_proxy("https://cw.example.com")
    assert str(proxy.url) == "http://proxy.internal:3128" and proxy.auth == ("user", "pw")
    monkeypatch.setenv("no_proxy", "example.com")
    assert environment_proxy("https://cw.example.com") is None


def test_requests_go_through_the_environment_proxy(monkeypatch):
    """A forward proxy on 127.0.0.1 sees the absolute URLs (the site itself is never
    reached: nothing listens there)."""
    seen = []

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append(self.path)
            body = b'{"Codebase": "v1/"}' if "/login/" in self.path else b"[]"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{server.server_address[1]}")
        creds = Credentials("acme", "pub", "private-key", "0b8f6c7e-1111-2222-3333-444455556666")
        with ConnectWiseClient("http://127.0.0.1:9", creds, rate_limit_per_minute=None) as client:
            assert client.list("/company/companies") == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert seen == ["http://127.0.0.1:9/login/companyinfo/acme",
                    "http://127.0.0.1:9/v1/apis/3.0/company/companies?pageSize=1000&page=1"]
