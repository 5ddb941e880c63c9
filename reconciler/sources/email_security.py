"""Email Security detection counts from the collected day files (see collected.py).

A summary's period is a set of days in the configured time zone; each day is the stretch
of UTC time between two local midnights (23 or 25 hours around daylight-saving changes).
Its counts are those of the customer's mail domains (`trend_micro.email_domains`) in the
slots of that stretch, mapped to detection names (tmems_events.py). A day any part of
which is not collected is missing: the summary fails naming it (and, when it fell out of
the API's window uncollected, says it is lost), never counts it as zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reconciler.config.model import EventMatch
from reconciler.sources.collected import CollectedStore, subtract
from reconciler.sources.model import MissingDays, SourceError
from reconciler.sources.tmems_events import detection_counts

KIND = "email_security"


def local_day(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a day in `tz`, in UTC."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


class CollectedDetections:
    """`DetectionSource` for kind email_security, read from the collected store."""

    def __init__(self, store: CollectedStore, domains: Mapping[str, Iterable[str]],
                 tz: ZoneInfo, events: Mapping[str, EventMatch], names: Iterable[str]) -> None:
        self.store = store
        self.description = f"collected from Trend Micro Email Security ({store.shown})"
        self._domains = {cid.casefold(): tuple(ds) for cid, ds in domains.items()}
        self._tz = tz
        self._events = dict(events)
        self._names = sorted(set(names))

    def counts(self, kind: str, customer_id: str, start: date, end: date) -> dict[str, int]:
        if kind != KIND:
            raise SourceError(f"the collected store holds Email Security counts, not {kind}")
        unmapped = [name for name in self._names if name not in self._events]
        if unmapped:
            raise SourceError(
                "no policy event mapping for detection(s) " + ", ".join(unmapped)
                + ": add them to sources.detections.email_security.events in reconciler.yaml")
        domains = self._domains.get(customer_id.casefold(), ())
        if not domains:
            raise SourceError(f"customer {customer_id} has no trend_micro.email_domains: its "
                              "Email Security logs cannot be told apart")
        first, _ = local_day(start, self._tz)
        _, last = local_day(end, self._tz)
        collected, lost = self.store.coverage(first, last)
        missing, gone = [], []
        day = start
        while day <= end:
            span = local_day(day, self._tz)
            if subtract(span, collected):
                missing.append(day)
                if any(a < span[1] and b > span[0] for a, b in lost):
                    gone.append(day)
            day += timedelta(days=1)
        if missing:
            raise MissingDays("Email Security detections not completely collected for",
                              missing, gone,
                              hint="`reconciler collect detections` collects them (hourly)")
        raw = self.store.raw_counts(domains, first, last)
        return detection_counts(raw, self._events, self._names)
