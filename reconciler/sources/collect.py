"""`collect detections`: Email Security policy event logs -> the collected day files.

Each run looks at the part of the API's 72-hour window that has settled:
    [now - 72 h + EDGE_MARGIN, now - SETTLE)      (rounded inwards to 15-minute slots)
and collects, oldest first and one UTC hour at a time, every part of it not collected yet
plus the last RECOLLECT hours again (so a log that reached the API late is still
counted: a re-collected hour replaces the old counts whole, never adds to them). Before
that, whatever was never collected and is now older than the window is recorded as lost
and reported, never counted as zero. A window is written only when all its pages of all
requested event types were read; a failure stops the run (the next run starts from the
same place), so the files are complete up to a point, plus lost stretches.

Safe to run every hour, twice at once (the second waits for nothing: it fails on the
lock), or after a crash at any point.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from reconciler.config.model import EventMatch, Fleet
from reconciler.sources.collected import (
    CollectedStore,
    Interval,
    ceil_slot,
    floor_slot,
    merge,
    subtract,
)
from reconciler.sources.model import SourceError
from reconciler.sources.tmems import TmemsClient
from reconciler.sources.tmems_events import effective_events, matches, requested_events

API_WINDOW = timedelta(hours=72)  # "List policy event logs": logs of the last 72 hours
EDGE_MARGIN = timedelta(minutes=15)  # stay clear of the window's edge (clock skew)
SETTLE = timedelta(minutes=30)  # how soon a log can be read is not documented: unverified
RECOLLECT = timedelta(hours=3)
CHUNK = timedelta(hours=1)


@dataclass
class Window:
    start: datetime
    end: datetime
    logs: int
    requests: int


@dataclass
class CollectReport:
    """What one run did."""

    at: datetime
    collected: list[Window] = field(default_factory=list)
    lost: list[Interval] = field(default_factory=list)  # newly found lost this run
    failed: str | None = None
    requests: int = 0
    unknown_domains: Counter = field(default_factory=Counter)  # domain -> logs
    uncounted: Counter = field(default_factory=Counter)  # category -> logs no detection counts
    untimed: int = 0  # logs without a readable time (put in their window's first slot)
    complete_until: datetime | None = None  # the collected stretch now ends here

    @property
    def ok(self) -> bool:
        return self.failed is None and not self.lost


def log_time(log: dict) -> datetime | None:
    """When a log was generated (`genTime`, else `timestamp`), any ISO 8601 UTC form."""
    for key in ("genTime", "timestamp"):
        value = log.get(key)
        if isinstance(value, str) and value.strip():
            text = value.strip().replace("z", "Z")
            if text.endswith("Z"):
                text = text[:-1] + "+00:00"
            head, dot, rest = text.partition(".")
            if dot:  # any number of fraction digits: keep six
                digits = "".join(ch for ch in rest if ch.isdigit())
                text = f"{head}.{(digits + '000000')[:6]}{rest[len(digits):]}"
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def log_domain(log: dict) -> str:
    """The customer-side mail domain of a log: `domainName`, else the sender's domain for
    outgoing mail and the recipient's for incoming (field names as third-party collectors
    read them: unverified)."""
    name = log.get("domainName")
    if isinstance(name, str) and name.strip():
        return name.strip().lower()
    addresses = [log.get("sender")] if log.get("direction") == "out" else [
        *(log.get("recipients") if isinstance(log.get("recipients"), list) else []),
        log.get("recipient")]
    for address in addresses:
        if isinstance(address, str) and "@" in address:
            return address.rsplit("@", 1)[1].strip().strip(">").lower()
    return ""


def plan_windows(store: CollectedStore, now: datetime) -> tuple[list[Interval], Interval | None]:
    """(what to collect, oldest first in hour-aligned pieces; what is newly lost)."""
    edge = ceil_slot(now - API_WINDOW + EDGE_MARGIN)
    end = floor_slot(now - SETTLE)
    if end <= edge:
        return [], None
    accounted = store.accounted_until(edge)
    lost = (accounted, edge) if accounted is not None and accounted < edge else None
    collected, _ = store.coverage(edge, end)
    wanted = merge([*subtract((edge, end), collected), (max(edge, end - RECOLLECT), end)])
    pieces = []
    for start, stop in wanted:
        cursor = start
        while cursor < stop:
            hour_end = cursor.replace(minute=0, second=0, microsecond=0) + CHUNK
            pieces.append((cursor, min(hour_end, stop)))
            cursor = min(hour_end, stop)
    return pieces, lost


def collect(store: CollectedStore, client: TmemsClient, *, events: Iterable[str],
            domains: Iterable[str], mapping: Mapping[str, EventMatch],
            now: datetime) -> CollectReport:
    """One collection run (call under `store.lock()`)."""
    now = now.astimezone(UTC)
    report = CollectReport(at=now)
    known = {d.casefold() for d in domains}
    requested = list(events)
    windows, lost = plan_windows(store, now)
    if lost is not None:
        store.mark_lost(*lost)
        report.lost.append(lost)
    for start, end in windows:
        before = client.request_count
        rows: Counter = Counter()
        logs_read = 0
        try:
            for event in requested:
                for log in client.policy_events(event, start, end):
                    logs_read += 1
                    moment = log_time(log)
                    if moment is None:
                        report.untimed += 1
                        moment = start
                    # counted in the window it was returned for (each log is returned for
                    # one window only), in its own slot when that lies inside
                    slot = floor_slot(min(max(moment, start), end - timedelta(microseconds=1)))
                    domain = log_domain(log)
                    category = (event, str(log.get("eventType") or ""),
                                str(log.get("eventSubtype") or ""))
                    rows[(slot, domain, *category)] += 1
                    if domain.casefold() not in known:
                        report.unknown_domains[domain or "(none)"] += 1
                    if not any(matches(m, category) for m in mapping.values()):
                        report.uncounted[category] += 1
        except SourceError as exc:
            report.failed = f"{start:%Y-%m-%dT%H:%MZ}..{end:%H:%MZ}: {exc}"
            report.requests += client.request_count - before
            break
        store.replace(start, end, rows)
        report.requests += client.request_count - before
        report.collected.append(Window(start, end, logs_read, client.request_count - before))
    horizon = now + timedelta(days=1)
    collected, _ = store.coverage(now - API_WINDOW - timedelta(days=1), horizon)
    report.complete_until = collected[-1][1] if collected else None
    return report


def summarise(windows: list[Window]) -> list[Window]:
    """Adjacent windows as one stretch (for output)."""
    out: list[Window] = []
    for window in windows:
        if out and out[-1].end == window.start:
            last = out[-1]
            out[-1] = Window(last.start, window.end, last.logs + window.logs,
                             last.requests + window.requests)
        else:
            out.append(window)
    return out


def collect_fleet(fleet: Fleet, store: CollectedStore, client: TmemsClient,
                  now: datetime) -> CollectReport:
    """Collect for every mail domain of the fleet and every Email Security detection
    reconciler.yaml names (SourceError when one has no event mapping, or another run holds
    the store)."""
    collection = fleet.settings.collection
    mapping = effective_events(collection.events if collection else {})
    names = sorted({n for group in fleet.settings.ems_detections.values() for n in group})
    unmapped = [name for name in names if name not in mapping]
    if unmapped:
        raise SourceError(
            "no policy event mapping for detection(s) " + ", ".join(unmapped)
            + ": add them to sources.detections.email_security.events in reconciler.yaml")
    # files that did not load still name their domains: their logs are theirs, not unknown
    domains = {d for c in fleet.customers for d in c.email_domains}
    with store.lock():
        return collect(store, client, events=requested_events(mapping, names),
                       domains=domains, mapping=mapping, now=now)
