"""Trend Micro Email Security's policy event log API (REST v1), as documented.

Sources (docs.trendmicro.com/en-us/documentation/article/trend-micro-email-security-rest-
api-online-help-..., titles in quotes):
- "List policy event logs" (`...-list-policy-event-lo`): `GET /api/v1/log/policyeventlog`
  with optional `domain`, `direction` (in | out), `event` (one of anti_spoof, threat, spam,
  content_filter, dlp, phishing, anomaly), `start` / `end` (ISO 8601 UTC to the second or
  millisecond, `yyyy-mm-ddThh:mm:ss[.mmm]Z`), `limit` (default 500), `token` (the previous
  answer's `nextToken`; "repeat this until the nextToken parameter is not returned").
  Only logs generated within 72 hours before the request are retrieved; with neither
  start nor end the last five minutes, with only one of them five minutes from it; the
  end must not be earlier than the start.
- "Mapping between event types in the request and response" (`...-mapping-between-even`):
  the returned eventType / eventSubtype of each requested type (see GENERATED).
- "API response codes" (`...-api-response-codes`): errors are `{"code", "message"}`;
  400 InvalidMethod / InvalidFormat / IllegalCharacter, 401
  AuthenticationMissingOrInvalid, 403 AuthorizationRequestDenied, 404
  ResourceNotAvailable (e.g. log retrieval not enabled), 500 InternalServerError.
- "Obtaining an API key" and the request examples: HTTP Basic auth, account and API key
  (`Authorization: Basic base64(account:apikey)`).
Unverified, and chosen here (each a knob where the client must cope either way): the log
fields beyond eventType/eventSubtype (genTime, domainName, ... as third-party collectors
read them), whether `end` is inclusive (here: yes, the harsher case for overlaps), an
empty result (204 No Content here, as third-party collectors expect; `empty_status=200`
answers `{"logs": []}`), whether nextToken comes percent-encoded (`quote_tokens`), a limit
above 500 (capped at 500 here), a token used with other parameters (400 here), how soon a
log can be read (`ingest_delay`), and a log repeated across a page edge
(`repeat_page_edge`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import parse_qs, quote

from .responses import ApiError

PATH = "/api/v1/log/policyeventlog"
WINDOW = timedelta(hours=72)
DEFAULT_SPAN = timedelta(minutes=5)
MAX_LIMIT = 500
EVENTS = ("anti_spoof", "threat", "spam", "content_filter", "dlp", "phishing", "anomaly")
_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{3})?Z$")

# What the simulator generates per domain and hour: (requested event, eventType,
# eventSubtype, mean logs an hour at scale 1). The threat and anti_spoof names are the
# documented mapping table's; spam/phishing/BEC names are not in our copy (unverified).
GENERATED: tuple[tuple[str, str, str, float], ...] = (
    ("spam", "Spam", "", 6.0),
    ("spam", "Business Email Compromise", "", 0.4),
    ("phishing", "Phishing", "", 1.0),
    ("threat", "Malware", "Pattern-based scanning", 0.5),
    ("threat", "Malware", "Predictive Machine Learning", 0.3),
    ("threat", "Ransomware", "", 0.1),
    ("threat", "Suspicious Objects", "Suspicious Files", 0.3),
    ("threat", "Suspicious Objects", "Suspicious URLs", 0.3),
    ("threat", "Advanced Persistent Threat", "Analyzed Advanced Threats (Files)", 0.2),
    ("threat", "Advanced Persistent Threat", "Probable Advanced Threats", 0.2),
    ("threat", "Web Reputation", "", 0.2),
    ("anti_spoof", "Domain-based Authentication", "SPF", 0.5),
)


def error(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, {"code": code, "message": message})


@dataclass
class TmemsLogs:
    """The logs the simulator serves: generated from a seed per domain and hour (so any
    period has logs without storing them), plus logs tests add. Knobs may change live."""

    domains: dict[str, float] = field(default_factory=dict)  # domain -> volume scale
    seed: int = 0
    extra: list[dict] = field(default_factory=list)  # logs added by tests
    log_retrieval: bool = True  # off: 404 ResourceNotAvailable
    empty_status: int = 204
    quote_tokens: bool = False
    repeat_page_edge: bool = False
    ingest_delay: timedelta = timedelta(0)

    def hour(self, start: datetime) -> list[dict]:
        """Every generated log of one UTC hour (all domains), sorted by time."""
        return list(_generated_hour(self.seed, tuple(sorted(self.domains.items())),
                                    start.isoformat()))

    def between(self, start: datetime, end: datetime) -> list[dict]:
        """Generated and added logs with start <= genTime <= end, in order."""
        found = []
        hour = start.replace(minute=0, second=0, microsecond=0)
        while hour <= end:
            found.extend(log for log in self.hour(hour) if start <= _when(log) <= end)
            hour += timedelta(hours=1)
        found.extend(log for log in self.extra if start <= _when(log) <= end)
        return sorted(found, key=lambda log: (_when(log), log["mailID"], log["eventType"],
                                              log["eventSubtype"]))


def _when(log: dict) -> datetime:
    return parse_time(log["genTime"])


def parse_time(text: str) -> datetime:
    match = _TIME.match(text)
    if not match:
        raise ValueError(text)
    return datetime.fromisoformat(match.group(1) + (match.group(2) or "")).replace(tzinfo=UTC)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


@lru_cache(maxsize=512)
def _generated_hour(seed: int, domains: tuple[tuple[str, float], ...],
                    hour_iso: str) -> tuple[dict, ...]:
    hour = datetime.fromisoformat(hour_iso)
    logs = []
    for domain, scale in domains:
        for index, (event, event_type, subtype, mean) in enumerate(GENERATED):
            rng = random.Random(f"{seed}:{domain}:{hour_iso}:{index}")
            count = int(rng.uniform(0, 2 * mean * scale) + 0.5)
            for n in range(count):
                moment = hour + timedelta(milliseconds=rng.randrange(3_600_000))
                ident = hashlib.sha1(f"{domain}{hour_iso}{index}:{n}".encode()).hexdigest()
                logs.append(make_log(domain, event, event_type, subtype, moment, ident))
    return tuple(sorted(logs, key=lambda log: (log["genTime"], log["mailID"])))


def make_log(domain: str, event: str, event_type: str, subtype: str, moment: datetime,
             ident: str, direction: str = "in") -> dict:
    """One policy event log, with the fields third-party collectors read (unverified)."""
    return {
        "_event": event,  # the requested type it answers to (not sent)
        "genTime": format_time(moment),
        "timestamp": format_time(moment),
        "mailID": ident[:20],
        "messageID": f"<{ident[:16]}@mail.example.net>",
        "sender": f"someone@sender-{ident[:4]}.example.net",
        "recipients": [f"user@{domain}"],
        "subject": "(subject)",
        "direction": direction,
        "domainName": domain,
        "policyName": f"Default {event} policy",
        "eventType": event_type,
        "eventSubtype": subtype,
        "policyAction": "Quarantine",
        "details": {},
    }


def check_auth(header: str, account: str, api_key: str) -> None:
    """401 unless Basic auth carries the account and API key ("Obtaining an API key")."""
    scheme, _, token = header.partition(" ")
    try:
        user, sep, key = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user, sep, key = "", "", ""
    if (scheme.lower() != "basic" or not sep
            or not hmac.compare_digest(user.encode(), account.encode())
            or not hmac.compare_digest(key.encode(), api_key.encode())):
        raise error(401, "AuthenticationMissingOrInvalid", "The credential is missing or invalid.")


def handle(method: str, path: str, query: str, logs: TmemsLogs, now: datetime,
           account: str) -> tuple[int, dict | None]:
    """(status, body) for an authenticated request."""
    if path.rstrip("/") != PATH:
        raise error(404, "ResourceNotAvailable",
                    f"The resource requested by the {account} account is not available.")
    if method != "GET":
        raise error(400, "InvalidMethod", f"The URL does not support the {method} method.")
    if not logs.log_retrieval:
        raise error(404, "ResourceNotAvailable",
                    f"The resource requested by the {account} account is not available.")
    params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    start, end = _window(params.get("start"), params.get("end"), now)
    limit_text = params.get("limit", str(MAX_LIMIT))
    if not limit_text.isdigit() or int(limit_text) < 1:
        raise error(400, "InvalidFormat", "Invalid request format.")
    limit = min(int(limit_text), MAX_LIMIT)
    event, domain, direction = params.get("event"), params.get("domain"), params.get("direction")
    if event is not None and event not in EVENTS:
        raise error(400, "InvalidFormat", "Invalid request format.")
    if direction is not None and direction not in ("in", "out"):
        raise error(400, "InvalidFormat", "Invalid request format.")
    fingerprint = hashlib.sha256(json.dumps(
        [params.get(k) for k in ("start", "end", "event", "domain", "direction")]
    ).encode()).hexdigest()[:16]
    offset = _offset(params.get("token"), fingerprint)
    if logs.repeat_page_edge and offset and limit > 1:
        offset -= 1  # the last log of the page before, once more
    visible_until = now - logs.ingest_delay
    chosen = [log for log in logs.between(max(start, now - WINDOW), end)
              if _when(log) <= visible_until
              and (event is None or log["_event"] == event)
              and (domain is None or log["domainName"].lower() == domain.lower())
              and (direction is None or log["direction"] == direction)]
    page = chosen[offset:offset + limit]
    if not page:
        return (204, None) if logs.empty_status == 204 else (200, {"logs": []})
    body: dict = {"logs": [{k: v for k, v in log.items() if k != "_event"} for log in page]}
    if offset + limit < len(chosen):
        token = "v1:" + base64.b64encode(json.dumps([fingerprint, offset + limit]).encode()
                                         ).decode()
        body["nextToken"] = quote(token, safe="") if logs.quote_tokens else token
    return 200, body


def _window(start_text: str | None, end_text: str | None,
            now: datetime) -> tuple[datetime, datetime]:
    try:
        start = parse_time(start_text) if start_text is not None else None
        end = parse_time(end_text) if end_text is not None else None
    except ValueError:
        raise error(400, "InvalidFormat", "Invalid request format.") from None
    if start is None and end is None:
        return now - DEFAULT_SPAN, now
    if end is None:
        assert start is not None
        return start, start + DEFAULT_SPAN
    if start is None:
        return end - DEFAULT_SPAN, end
    if end < start:
        raise error(400, "InvalidFormat", "Invalid request format.")
    return start, end


def _offset(token: str | None, fingerprint: str) -> int:
    if token is None:
        return 0
    try:
        # the token as the previous answer gave it (a client that sends it percent-encoded
        # once more sends another token)
        if not token.startswith("v1:"):
            raise ValueError(token)
        decoded = json.loads(base64.b64decode(token[3:], validate=True))
        token_fingerprint, offset = decoded
        if token_fingerprint != fingerprint or not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise error(400, "InvalidFormat", "Invalid request format.") from None
