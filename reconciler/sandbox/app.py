"""The sandbox WSGI app: ConnectWise Manage's REST API (the subset this project uses), its
codebase discovery, and Trend Micro LMPI's summary report.

Routing and the request handlers live here; auth in auth.py, request parsing in wsgi.py,
resource rules in resources.py and records.py, list queries in paging.py, state in
store.py, faults in faults.py.
"""

from __future__ import annotations

import json
import os
import re
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from . import lmpi, paging, tmems, versions
from .auth import SandboxCredentials, authenticate
from .faults import DropConnection, Faults
from .index import select
from .records import apply_patch, editable, prepare, render
from .resources import (
    ADDITION,
    AGREEMENT,
    AGREEMENT_TYPE,
    BOARD,
    BOARD_STATUS,
    BOARD_TYPE,
    CATALOG,
    COMPANY,
    KINDS,
    NOTE,
    PRIORITY,
    TICKET,
    Kind,
    known_field,
)
from .responses import ApiError, bad_request, error_body, forbidden, not_found
from .seed import build_state, default_tmems
from .store import State, Store
from .wsgi import REASONS, Request, Response

# The one codebase this sandbox serves, like an on-premise server ([guide]: on-premise
# servers answer `v4_6_release/`; cloud ones e.g. `v2025_1/`). Any other codebase answers
# 404; that cloud answers a wrong codebase so is unverified (the client discovers the
# codebase and never guesses it, so any answer to a wrong one is an error either way).
CODEBASE = "v4_6_release"
API_VERSION = "2025.1"  # the release this sandbox plays (versions.py: what that means)
SERVER_NAME = "sandbox-api-01"  # [lazyadmin]: answers carry x-server-name, x-cw-request-id
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")

# (path template, kind); parent ids as {pid}. Literal paths come before {id} ones:
# /finance/agreements/types must never be read as agreement "types".
ROUTES: tuple[tuple[str, Kind], ...] = (
    ("company/companies", COMPANY),
    ("finance/agreements/types", AGREEMENT_TYPE),
    ("finance/agreements/{pid}/additions", ADDITION),
    ("finance/agreements", AGREEMENT),
    ("procurement/catalog", CATALOG),
    ("service/tickets/{pid}/notes", NOTE),
    ("service/tickets", TICKET),
    ("service/boards/{pid}/statuses", BOARD_STATUS),
    ("service/boards/{pid}/types", BOARD_TYPE),
    ("service/boards", BOARD),
    ("service/priorities", PRIORITY),
)
_COMPILED = [
    # Routes ignore case (/Company/Companies works too): unverified, ASP.NET's default;
    # the client only ever sends the documented lower-case paths ([openapi]).
    (re.compile("^" + t.replace("{pid}", r"(?P<pid>\d+)") + r"(?:/(?P<item>count|search|\d+))?/?$",
                re.IGNORECASE), kind)
    for t, kind in ROUTES
]


class SandboxApp:
    """The WSGI callable. `faults` may be replaced or changed while it runs."""

    def __init__(self, store: Store, credentials: SandboxCredentials, faults: Faults,
                 clock: Callable[[], datetime], api_version: str = API_VERSION) -> None:
        self.store = store
        self.api_version = api_version  # the site's release; older sites refuse newer models
        # The origin `Link` headers name: None for the host the client called; a site's
        # other host form (e.g. https://na.myconnectwise.net for api-na) as [guide]'s
        # pagination example (`<https://SERVERNAME/v4_6_release/...>`) and [lazyadmin]'s
        # real answer name the server. Which form a cloud site writes is unverified: the
        # client follows either form of the site's host, and no other (connectwise/hosts.py).
        self.link_origin: str | None = None
        self.credentials = credentials
        self.faults = faults
        self.clock = clock
        self.request_log: list[tuple[str, str]] = []
        # Trend Micro Email Security: its logs and its own fault knobs (so ConnectWise
        # faults in a test never hit the collector, and the other way round)
        with store.session() as state:
            config = state.tmems if state.tmems is not None else default_tmems()
            self.tmems = tmems.TmemsLogs(domains=dict(config.get("domains", {})),
                                         seed=int(config.get("seed", 0)))
        self.tmems_faults = Faults()
        # Field indexes, compiled conditions and cached parses; off only to measure
        # against (bench/sandbox): the answers are the same either way.
        self.fast_paths = True
        self._log_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<SandboxApp state={self.store.path or 'memory'}>"

    # -- WSGI
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        with self._log_lock:
            self.request_log.append((request.method, request.uri))
        try:
            response = self.handle(request)
        except ApiError as exc:
            response = Response(exc.status, exc.body, exc.headers, exc.content_type)
        except DropConnection:
            raise
        except Exception:  # a bug in the sandbox still answers like a server would
            if os.environ.get("RECONCILER_DEBUG"):
                traceback.print_exc()  # source lines only: no request headers or bodies
            # code ConnectWiseApi: [cw-rest] #35; the message is unverified (the client
            # shows whatever message a 500 carries, or the reason phrase)
            response = Response(500, error_body("ConnectWiseApi",
                                                "An unexpected error has occurred."))
        return self._send(response, start_response)

    def _send(self, response: Response, start_response: Callable) -> list[bytes]:
        if response.status == 204:
            payload = b""
        elif isinstance(response.body, str):
            payload = response.body.encode("utf-8")
        else:
            payload = json.dumps(response.body).encode("utf-8")
        headers = [
            # Origin servers with a clock send Date (RFC 9110 6.6.1); doctor compares it
            # with the local clock (LMPI refuses signatures off by more than its skew).
            ("Date", format_datetime(self.now().astimezone(UTC), usegmt=True)),
            ("api-current-version", self.api_version),
            ("x-cw-request-id", str(uuid.uuid4())),
            ("x-server-name", SERVER_NAME),
            *response.headers.items(),
        ]
        if response.status != 204:
            headers.append(("Content-Type", response.content_type))
        headers.append(("Content-Length", str(len(payload))))
        status = f"{response.status} {REASONS.get(response.status, 'Status')}"
        start_response(status, headers)
        return [payload]

    def now(self) -> datetime:
        moment = self.clock()
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    # -- dispatch
    def handle(self, request: Request) -> Response:
        path = request.path
        if path.lower().startswith("/login/companyinfo/"):
            return self._company_info(request, path.split("/", 3)[3])
        if lmpi.is_lmpi(path.rstrip("/")):
            return self._lmpi(request)
        if path.startswith("/api/v1/"):
            return self._tmems(request)
        match = re.match(r"^/([^/]+)/apis/3\.0/(.*)$", path)
        if not match:
            raise not_found("The requested resource was not found.")
        if match.group(1) != CODEBASE:
            raise not_found("The requested codebase was not found.")
        self.faults.apply(self.now().timestamp())
        readonly = authenticate(request.headers, self.credentials)
        versions.check(request.headers.get("accept", ""), self.api_version,
                       request.origin + request.uri)
        # A role without a permission answers 403 ([guide]: "403 security role"); the
        # read-only key pair has no Add/Edit/Delete anywhere, and /service/tickets/search
        # is a read sent as POST ([openapi]).
        if request.method in WRITE_METHODS and readonly and \
                match.group(2).strip("/").lower() != "service/tickets/search":
            raise forbidden("You do not have security access to perform this action.")
        if self.faults.forbids(request.method, match.group(2)):
            raise forbidden("You do not have security access to perform this action.")
        return self._api(request, match.group(2))

    def _company_info(self, request: Request, company: str) -> Response:
        if request.method != "GET":  # unverified; the client only GETs it
            raise ApiError(405, error_body("MethodNotAllowed", "Only GET is allowed here."))
        if company.strip("/").lower() != self.credentials.company.lower():
            # JSON null for an unknown company: unverified; the client takes any answer
            # without a Codebase string as a failed discovery (test_client_basics.py)
            return Response(200, None)
        # The fields of the answer: [pyconnectwise] reads `Codebase`; the others as sites
        # are reported to answer them, unverified one by one (the client reads none)
        return Response(200, {
            "CompanyName": "Sandbox MSP",
            "Codebase": f"{CODEBASE}/",
            "VersionCode": f"v{self.api_version}",
            "VersionNumber": "v4.6.12345",
            "CompanyID": self.credentials.company,
            "IsCloud": False,
            "SiteUrl": request.origin.split("://", 1)[1],
        })

    def _lmpi(self, request: Request) -> Response:
        creds = self.credentials
        lmpi.check_auth(request.headers, request.method, request.uri, request.body,
                        creds.lmpi_token, creds.lmpi_secret, self.now().timestamp())
        with self.store.session() as state:
            return Response(200, lmpi.handle(request.method, request.path.rstrip("/"),
                                             request.query_string, request.body,
                                             state.lmpi_customers, state.lmpi_usage,
                                             self.now()))

    def _tmems(self, request: Request) -> Response:
        self.tmems_faults.apply(self.now().timestamp())
        creds = self.credentials
        tmems.check_auth(request.headers.get("authorization", ""), creds.tmems_account,
                         creds.tmems_api_key)
        status, body = tmems.handle(request.method, request.path, request.query_string,
                                    self.tmems, self.now(), creds.tmems_account)
        return Response(status, body)

    def _api(self, request: Request, rest: str) -> Response:
        if rest.rstrip("/").lower() == "system/info":
            if request.method != "GET":
                raise _method_not_allowed()
            # fields per [openapi] (SystemInfo: version, isCloud, serverTimeZone, ...)
            return Response(200, {"version": f"v{self.api_version}.12345", "isCloud": False,
                                  "serverTimeZone": "Eastern Standard Time",
                                  "cloudRegion": "", "maxWorkFlowRecordsAllowed": 10000})
        for pattern, kind in _COMPILED:
            m = pattern.match(rest)
            if m:
                pid = int(m.group("pid")) if "pid" in pattern.groupindex else None
                return self._resource(request, kind, pid, m.group("item"))
        raise not_found("The requested resource was not found.")

    # -- resources
    def _resource(self, request: Request, kind: Kind, pid: int | None,
                  item: str | None) -> Response:
        method = request.method
        with self.store.session() as state:
            if kind.parent and state.find(kind.parent, pid) is None:
                raise not_found(f"{KINDS[kind.parent].label} with id {pid} was not found.")
            base = f"{request.origin}/{CODEBASE}/apis/3.0/"
            if item is None:
                if method == "GET":
                    return self._list(request, state, kind, pid, base, None)
                if method == "POST":
                    return self._create(request, state, kind, pid, base)
                raise _method_not_allowed()
            item = item.lower()
            if item == "count":  # {"count": N} with the list's filters: [openapi], [guide]
                if method != "GET":
                    raise _method_not_allowed()
                return self._list(request, state, kind, pid, base, None, count=True)
            if item == "search":
                if kind is not TICKET or method != "POST":
                    raise not_found("The requested resource was not found.")
                body = request.json() if request.body.strip() else {}
                if not isinstance(body, dict):
                    raise bad_request("The search body must be a JSON object.")
                return self._list(request, state, kind, pid, base, body.get("conditions"),
                                  order_by=body.get("orderBy"))
            record_id = int(item)
            current = state.find(kind.collection, record_id)
            if current is None or (kind.parent_field and _parent_id(current, kind) != pid):
                raise not_found(f"{kind.label} with id {record_id} was not found.")
            if method == "GET":
                rendered = render(kind, current, base, self.now())
                return Response(200, paging.project(rendered, request.query.get("fields")))
            if method == "DELETE":
                return self._delete(state, kind, record_id)
            if method == "PUT":
                return self._update(state, kind, pid, record_id, request.json(), base)
            if method == "PATCH":
                body = apply_patch(kind, editable(kind, current), request.json())
                return self._update(state, kind, pid, record_id, body, base)
            raise _method_not_allowed()

    def _list(self, request: Request, state: State, kind: Kind, pid: int | None, base: str,
              conditions: str | None, *, count: bool = False,
              order_by: str | None = None) -> Response:
        query = request.query
        now = self.now()
        fast = self.fast_paths
        known = lambda field: known_field(kind, field)  # noqa: E731
        # childConditions and customFieldConditions are accepted and not applied: no
        # sandbox record has child collections or custom fields to match.
        text = conditions or query.get("conditions")
        tree = paging.parse_conditions(text, known, cached=fast) if text else None
        # Filter and sort on stored records (plus computed fields): rendering only the
        # page keeps large lists cheap; references are stored with the keys they show.
        source, exact = None, False
        if tree is not None and fast and kind.parent_field is None and kind.compute is None:
            # Field indexes narrow the records to evaluate (a superset of the matches, or
            # exactly them); kinds with computed fields or parents are left to the scan.
            found = select(tree, lambda path: state.field_index(kind.collection, path))
            if found is not None:
                source = [state.get(kind.collection, i) for i in sorted(found[0])]
                exact = found[1]
        if source is None:
            source = _children(state, kind, pid)
        records = [_view(kind, r, now) for r in source]
        if tree is not None and not exact:
            records = paging.filter_records(records, None, known, tree=tree, fast=fast)
        if count:
            return Response(200, {"count": len(records)})
        origin = self.link_origin or request.origin
        url = f"{origin}/{CODEBASE}/apis/3.0/" + request.path.split("/apis/3.0/", 1)[1]
        if request.headers.get("pagination-type", "").lower() == "forward-only":
            chunk, link = paging.forward_only(records, query, url)
        else:
            records = paging.order(records, order_by or query.get("orderBy"), known)
            chunk, link = paging.navigable(records, query, url)
        fields = query.get("fields")
        # With `fields`, only the references it names need their hrefs built.
        heads = {f.strip().split("/")[0] for f in fields.split(",")} if fields and fast else None
        body = [paging.project(render(kind, r, base, now, only=heads), fields) for r in chunk]
        return Response(200, body, {"Link": link} if link else {})

    def _create(self, request: Request, state: State, kind: Kind, pid: int | None,
                base: str) -> Response:
        now = self.now()
        rec = prepare(kind, request.json(), state, now=now, parent_id=pid)
        extras = {name: rec.pop(name) for name in kind.write_only if name in rec}
        stored = state.insert(kind.collection, rec, now)
        # initialDescription becomes the ticket's first note ([openapi]: write-only on
        # Ticket); that the note carries detailDescriptionFlag is unverified, so the
        # gateway reads the text of every note (Gateway.ticket_text).
        if kind is TICKET:
            flags = {"initialDescription": "detailDescriptionFlag",
                     "initialInternalAnalysis": "internalAnalysisFlag",
                     "initialResolution": "resolutionFlag"}
            for name, flag in flags.items():
                if extras.get(name):
                    note = prepare(NOTE, {"text": extras[name], flag: True}, state, now=now,
                                   parent_id=stored["id"])
                    state.insert(NOTE.collection, note, now)
        return Response(201, render(kind, stored, base, now))

    def _update(self, state: State, kind: Kind, pid: int | None, record_id: int, body: Any,
                base: str) -> Response:
        now = self.now()
        rec = prepare(kind, body, state, now=now, parent_id=pid, record_id=record_id)
        for name in kind.write_only:
            rec.pop(name, None)
        stored = state.replace(kind.collection, record_id, rec, now)
        return Response(200, render(kind, stored, base, now))

    def _delete(self, state: State, kind: Kind, record_id: int) -> Response:
        # 409 for a record in use ([guide]: "409 conflict/in use"; the code ObjectInUse is
        # unverified). The product never deletes (the API member's role has no delete).
        for collection, field in kind.in_use:
            for other in state.records(collection):
                ref = other.get(field)
                refs = ref if isinstance(ref, list) else [ref]
                if any(isinstance(r, dict) and r.get("id") == record_id for r in refs):
                    raise ApiError(409, error_body(
                        "ObjectInUse", f"{kind.label} {record_id} is in use and cannot be "
                        "deleted."))
        for collection, _field in kind.cascade:
            for other in _children(state, KINDS[collection], record_id):
                state.delete(collection, other["id"])
        state.delete(kind.collection, record_id)
        return Response(204)


def _children(state: State, kind: Kind, pid: int | None) -> list[dict]:
    """The records of a collection under one parent (all of them for top-level kinds)."""
    if kind.parent_field is None:
        return state.records(kind.collection)
    if kind.parent_field in kind.refs:  # e.g. a status's `board` reference: small lists
        return [r for r in state.records(kind.collection) if _parent_id(r, kind) == pid]
    # A plain id field (additions' agreementId, notes' ticketId): use the keyed index, so
    # reading the additions of every agreement stays linear in the number of additions.
    return state.by_key(kind.collection, kind.parent_field, str(pid))


def _view(kind: Kind, rec: dict, now: datetime) -> dict:
    """A stored record with its computed fields, for conditions and orderBy."""
    if kind.compute is None:
        return rec
    view = dict(rec)
    kind.compute(view, now)
    return view


def _parent_id(rec: dict, kind: Kind) -> Any:
    value = rec.get(kind.parent_field)
    return value.get("id") if isinstance(value, dict) else value


def _method_not_allowed() -> ApiError:
    return ApiError(405, error_body("MethodNotAllowed",
                                    "The requested method is not allowed here."))


def create_app(*, seed: Path | str | dict | None = None, state_path: Path | str | None = None,
               credentials: SandboxCredentials | None = None, faults: Faults | None = None,
               clock: Callable[[], datetime] | None = None,
               api_version: str = API_VERSION) -> SandboxApp:
    """A sandbox app: seeded from `seed` (the packaged seed.yaml when None), persisted to
    `state_path` when given (loaded if it exists, else seeded and saved); `api_version`
    is the ConnectWise release it plays (newer API versions are refused)."""
    clock = clock or (lambda: datetime.now(UTC))
    if state_path is not None and Path(state_path).exists():
        store = Store(State(), state_path)
    else:
        store = Store(build_state(seed), state_path)
    return SandboxApp(store, credentials or SandboxCredentials(), faults or Faults(), clock,
                      api_version)
