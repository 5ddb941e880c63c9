"""Trend Micro Email Security's REST API v1: reading policy event logs.

Documented (docs.trendmicro.com/en-us/documentation/article/trend-micro-email-security-
rest-api-online-help-..., titles in quotes):
- "Understanding the URL": `https://<serviceURL>/api/v1/<resourcePath>`, one service root
  per region (api.tmes.trendmicro.com, api.tmes.trendmicro.eu, ...).
- "Obtaining an API key" and the request examples: HTTP Basic auth with the account and
  an API key (Administration > Service Integration > API Access).
- "List policy event logs": `GET /api/v1/log/policyeventlog` with `event` (one requested
  type at a time), `start` / `end` (`yyyy-mm-ddThh:mm:ss[.mmm]Z`, UTC), `limit` (default
  500) and `token` (the previous answer's `nextToken`, repeated until none comes). Only
  logs generated within the last 72 hours are retrieved.
- "API response codes": errors are `{"code", "message"}`; 401
  AuthenticationMissingOrInvalid, 403 AuthorizationRequestDenied, 404 ResourceNotAvailable
  (e.g. log retrieval is not enabled).
Unverified (tolerated either way): an empty result as 204 No Content or as `{"logs": []}`
or without `logs`; `nextToken` percent-encoded or not (third-party collectors unquote it);
whether `end` is inclusive (we ask up to 1 ms before the next window, so windows never
share a log); a log repeated across a page edge (deduplicated by its whole record).
Credentials come from TMEMS_ACCOUNT and TMEMS_API_KEY and never appear in messages.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx

from reconciler.sources.http import ReadingApi, Transient
from reconciler.sources.model import SourceError

PATH = "/api/v1/log/policyeventlog"
PAGE_LIMIT = 500  # the documented default (and, by the brief of this API, its page size)
MAX_PAGES = 100_000
SANDBOX_ACCOUNT = "sandbox-tmems"  # the embedded simulator's fixed, public credentials
SANDBOX_API_KEY = "sandbox-tmems-key"
# How the collector reads unless told otherwise: 5 attempts, 60 s per socket operation
# (the total deadline and size cap are reconciler.net.bounded's defaults).
HTTP_DEFAULTS: dict[str, Any] = {"attempts": 5, "timeout": 60.0}


def api_time(moment: datetime) -> str:
    """`yyyy-mm-ddThh:mm:ss.mmmZ`, the documented millisecond form."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class TmemsClient(ReadingApi):
    """Reads policy event logs, page after page."""

    def __init__(self, url: str, *, account: str, api_key: str, page_limit: int = PAGE_LIMIT,
                 **http: Any) -> None:
        """`http` configures the reads (`transport`, `attempts` or `retry`, `sleep`,
        `timeout`, `deadline`, `max_bytes`: see reconciler.sources.http.ReadingClient)."""
        super().__init__(url, **{**HTTP_DEFAULTS, **http})
        self.page_limit = page_limit
        self.__authorization = "Basic " + base64.b64encode(
            f"{account}:{api_key}".encode()).decode()

    def policy_events(self, event: str, start: datetime, end: datetime) -> list[dict]:
        """Every log of requested type `event` generated in [start, end), all pages,
        each distinct record once."""
        params = {"event": event, "start": api_time(start),
                  # `end` is inclusive or not (unverified): stop 1 ms short of the next window
                  "end": api_time(end - timedelta(milliseconds=1)),
                  "limit": str(self.page_limit)}
        logs: list[dict] = []
        seen: set[str] = set()
        tokens: set[str] = set()
        what = f"{event} logs {params['start']}..{api_time(end)}"
        for _ in range(MAX_PAGES):
            page, token = self._page(params, what)
            for log in page:
                key = json.dumps(log, sort_keys=True, default=str)
                if key not in seen:  # a log repeated across a page edge counts once
                    seen.add(key)
                    logs.append(log)
            if not token:
                return logs
            if token in tokens:
                raise SourceError(f"Trend Micro Email Security repeated a page token for "
                                  f"{what}; not counted")
            tokens.add(token)
            params = {**params, "token": token}
        raise SourceError(f"Trend Micro Email Security did not stop paging {what}")

    def _page(self, params: dict[str, str], what: str) -> tuple[list[dict], str | None]:
        try:
            response = self._http.request("GET", self.url + PATH, params=params,
                                          headers=lambda: {"authorization": self.__authorization,
                                                           "accept": "application/json"})
        except Transient as exc:
            raise SourceError(f"Trend Micro Email Security {what} unavailable {exc}") from None
        if response.status_code == 204:  # no logs (as third-party collectors expect it)
            return [], None
        if response.status_code != 200:
            raise SourceError(_refusal(response, what))
        try:
            data = response.json()
        except (ValueError, RecursionError):
            raise SourceError(f"Trend Micro Email Security answered non-JSON for {what}") from None
        if not isinstance(data, dict):
            raise SourceError(f"Trend Micro Email Security answered a {type(data).__name__} "
                              f"for {what}, not an object")
        logs = data.get("logs")
        if logs is None:
            logs = []
        if not isinstance(logs, list) or not all(isinstance(log, dict) for log in logs):
            raise SourceError(f"Trend Micro Email Security's 'logs' for {what} is not a list "
                              "of records")
        token = data.get("nextToken")
        if token is not None and not isinstance(token, str):
            raise SourceError(f"Trend Micro Email Security's nextToken for {what} is not text")
        if token and "%" in token:  # came percent-encoded: send the token itself
            token = unquote(token)
        return logs, token or None


def _refusal(response: httpx.Response, what: str) -> str:
    try:
        data = response.json()
    except (ValueError, RecursionError):
        data = None
    code = data.get("code") if isinstance(data, dict) else None
    message = data.get("message") if isinstance(data, dict) else None
    detail = f": {code}: {message}" if code and message else ""
    status = response.status_code
    if status == 401:
        return ("Trend Micro Email Security refused the credentials (401"
                f"{' ' + str(code) if code else ''}); check TMEMS_ACCOUNT and TMEMS_API_KEY")
    if status == 403:
        return ("Trend Micro Email Security refused the account (403 AuthorizationRequestDenied):"
                " the account behind TMEMS_ACCOUNT may not read logs")
    if status == 404:
        return ("Trend Micro Email Security has no logs to give (404"
                f"{' ' + str(code) if code else ''}): turn on log retrieval (Administration > "
                "Service Integration > Log Retrieval) and check sources.detections."
                "email_security.url is your region's service root")
    return f"Trend Micro Email Security answered {status} for {what}{detail}"
