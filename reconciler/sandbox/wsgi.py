"""The HTTP side of the sandbox: a parsed WSGI request and the response to send."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from . import paging
from .responses import bad_request


class Request:
    """The parts of a WSGI request the sandbox uses."""

    def __init__(self, environ: dict) -> None:
        self.method = environ["REQUEST_METHOD"].upper()
        raw_path = environ.get("PATH_INFO", "") or "/"
        self.path = raw_path.encode("latin-1").decode("utf-8", "replace")
        self.query_string = environ.get("QUERY_STRING", "")
        self.query = paging.Query(parse_qsl(self.query_string, keep_blank_values=True))
        self.headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
                        if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            self.headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        self.body = environ["wsgi.input"].read(length) if length > 0 else b""
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_HOST") or (
            f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}")
        self.origin = f"{scheme}://{host}"

    @property
    def uri(self) -> str:
        return self.path + (f"?{self.query_string}" if self.query_string else "")

    def json(self) -> Any:
        if not self.body.strip():
            raise bad_request("The request body is empty; a JSON object is required.")
        try:
            return json.loads(self.body)
        except ValueError:
            raise bad_request("The request body is not valid JSON.") from None


class Response:
    def __init__(self, status: int, body: Any = None, headers: dict | None = None,
                 content_type: str = "application/json; charset=utf-8") -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.content_type = content_type


REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request",
            401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
