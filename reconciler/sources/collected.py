"""The collected Email Security counts: one JSON file per UTC day, made to be read by people.

`<path>/YYYY-MM-DD.json` (UTC days):

    {
      "format_version": 1,
      "day": "2026-11-24",
      "time_zone": "UTC",
      "slot_minutes": 15,
      "collected": [["00:00", "13:00"]],
      "lost": [],
      "counts": [
        ["09:15", "acme.example", "threat", "Malware", "Pattern-based scanning", 2],
        ...
      ]
    }

`collected` lists the parts of the day whose logs were all read (every 15-minute slot in
them is complete; a slot inside with no row had no logs), `lost` the parts that fell out
of the API's 72-hour window before anyone read them. A count row is (slot start, mail
domain, requested event type, returned eventType, eventSubtype, logs): raw, so that the
mapping to detection names can be corrected later. Counts outside `collected` mean
nothing (a run that stopped half-way) and are replaced when the slot is collected.

Every write replaces whole slots and rewrites a file atomically (temporary file, then
rename), so a crash at any point leaves each file either before or after one window.
One collector at a time: `lock()` holds an exclusive lock on `<path>/.lock`.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from reconciler.sources.model import SourceError

FORMAT_VERSION = 1
SLOT = timedelta(minutes=15)  # every UTC offset in use is a multiple of 15 minutes
DAY_MINUTES = 24 * 60
Interval = tuple[datetime, datetime]
Category = tuple[str, str, str]  # (requested event, eventType, eventSubtype)
RowKey = tuple[int, str, str, str, str]  # (minute of the day, domain, *category)


def floor_slot(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    minutes = (moment.hour * 60 + moment.minute) // 15 * 15
    return moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(minutes=minutes)


def ceil_slot(moment: datetime) -> datetime:
    floor = floor_slot(moment)
    return floor if floor == moment.astimezone(UTC) else floor + SLOT


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract(whole: Interval, parts: Iterable[Interval]) -> list[Interval]:
    """The pieces of `whole` no interval of `parts` covers."""
    gaps, cursor = [], whole[0]
    for start, end in merge(parts):
        if end <= cursor or start >= whole[1]:
            continue
        if start > cursor:
            gaps.append((cursor, min(start, whole[1])))
        cursor = max(cursor, end)
    if cursor < whole[1]:
        gaps.append((cursor, whole[1]))
    return gaps


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass
class DayFile:
    """One UTC day of collected counts (minutes from the day's start)."""

    day: date
    collected: list[tuple[int, int]] = field(default_factory=list)
    lost: list[tuple[int, int]] = field(default_factory=list)
    rows: dict[RowKey, int] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC)

    def at(self, minute: int) -> datetime:
        return self.start + timedelta(minutes=minute)

    def minute(self, moment: datetime) -> int:
        return int((moment - self.start).total_seconds() // 60)

    def intervals(self, which: str) -> list[Interval]:
        return [(self.at(a), self.at(b)) for a, b in getattr(self, which)]

    def to_text(self) -> str:
        """JSON with one count row a line: small diffs, easy to read in a pull request."""
        head = {"format_version": FORMAT_VERSION, "day": self.day.isoformat(),
                "time_zone": "UTC", "slot_minutes": int(SLOT.total_seconds() // 60),
                "collected": [[_clock(a), _clock(b)] for a, b in self.collected],
                "lost": [[_clock(a), _clock(b)] for a, b in self.lost]}
        lines = [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
        rows = [json.dumps([_clock(m), d, e, t, s, n], ensure_ascii=False)
                for (m, d, e, t, s), n in sorted(self.rows.items())]
        body = ",\n".join(f"    {row}" for row in rows)
        return "{\n" + "\n".join(lines) + '\n  "counts": [' + (
            f"\n{body}\n  ]" if rows else "]") + "\n}\n"


def _minute(text: object, where: str) -> int:
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        raise SourceError(f"{where}: {text!r} is not a time HH:MM")
    try:
        hours, minutes = int(text[:2]), int(text[3:])
    except ValueError:
        raise SourceError(f"{where}: {text!r} is not a time HH:MM") from None
    value = hours * 60 + minutes
    if not 0 <= minutes < 60 or not 0 <= value <= DAY_MINUTES or value % 15:
        raise SourceError(f"{where}: {text!r} is not a quarter-hour of the day")
    return value


def parse_day(text: str, day: date, shown: str) -> DayFile:
    """A day file's contents, checked; SourceError naming the file otherwise."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"{shown}: not a collected-counts file ({exc})") from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise SourceError(f"{shown}: not a collected-counts file (format_version 1)")
    if data.get("day") != day.isoformat() or data.get("slot_minutes") != 15:
        raise SourceError(f"{shown}: its day or slot size is not this file's")
    result = DayFile(day)
    for which in ("collected", "lost"):
        spans = data.get(which)
        if not isinstance(spans, list):
            raise SourceError(f"{shown}: {which} is not a list")
        for span in spans:
            if not isinstance(span, list) or len(span) != 2:
                raise SourceError(f"{shown}: {which} holds {span!r}, not [start, end]")
            start, end = _minute(span[0], shown), _minute(span[1], shown)
            if start >= end:
                raise SourceError(f"{shown}: {which} span {span!r} is empty or reversed")
            getattr(result, which).append((start, end))
    counts = data.get("counts")
    if not isinstance(counts, list):
        raise SourceError(f"{shown}: counts is not a list")
    for number, row in enumerate(counts, 1):
        where = f"{shown}: counts row {number}"
        if (not isinstance(row, list) or len(row) != 6
                or not all(isinstance(v, str) for v in row[1:5])
                or not isinstance(row[5], int) or isinstance(row[5], bool) or row[5] < 0):
            raise SourceError(f"{where} is not [slot, domain, event, type, subtype, count]")
        slot = _minute(row[0], where)
        if slot >= DAY_MINUTES:
            raise SourceError(f"{where}: slot 24:00 is the next day")
        key = (slot, row[1], row[2], row[3], row[4])
        result.rows[key] = result.rows.get(key, 0) + row[5]
    return result


class CollectedStore:
    """The folder of day files."""

    def __init__(self, folder: Path, *, shown: str | None = None) -> None:
        self.folder = folder
        self.shown = shown or str(folder)
        self._days: dict[date, DayFile] = {}

    def _path(self, day: date) -> Path:
        return self.folder / f"{day.isoformat()}.json"

    def days(self) -> list[date]:
        """The days that have a file, oldest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.glob("????-??-??.json"):
            try:
                found.append(date.fromisoformat(path.stem))
            except ValueError:
                continue
        return sorted(found)

    def load(self, day: date) -> DayFile:
        if day not in self._days:
            path = self._path(day)
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                self._days[day] = DayFile(day)
            except (OSError, UnicodeDecodeError) as exc:
                raise SourceError(f"{self.shown}/{path.name}: cannot read: {exc}") from None
            else:
                self._days[day] = parse_day(text, day, f"{self.shown}/{path.name}")
        return self._days[day]

    def save(self, day_file: DayFile) -> None:
        """Atomically: the file is the old one or the new one, never half of either."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(day_file.to_text())
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self._path(day_file.day))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._days[day_file.day] = day_file

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive for one collector; a second one fails at once rather than wait."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SourceError(f"another `collect detections` holds {self.shown}/.lock; "
                                  "try again when it is done") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _each_day(self, start: datetime, end: datetime) -> Iterator[DayFile]:
        day = start.astimezone(UTC).date()
        while datetime(day.year, day.month, day.day, tzinfo=UTC) < end:
            yield self.load(day)
            day += timedelta(days=1)

    def replace(self, start: datetime, end: datetime,
                rows: Mapping[tuple[datetime, str, str, str, str], int]) -> None:
        """Slots in [start, end) become exactly `rows` (slot start, domain, *category) and
        complete: whatever was there before is gone, so overlapping runs never add up."""
        for day_file in self._each_day(start, end):
            a = max(day_file.minute(start), 0)
            b = min(day_file.minute(end), DAY_MINUTES)
            kept = {k: v for k, v in day_file.rows.items() if not a <= k[0] < b}
            for (slot, *rest), count in rows.items():
                if day_file.start <= slot < day_file.start + timedelta(days=1) and count:
                    minute = day_file.minute(slot)
                    key = (minute, *rest)
                    kept[key] = kept.get(key, 0) + count  # type: ignore[index]
            spans = merge([*day_file.intervals("collected"), (day_file.at(a), day_file.at(b))])
            lost = [span for piece in day_file.intervals("lost")
                    for span in subtract(piece, [(day_file.at(a), day_file.at(b))])]
            self.save(DayFile(day_file.day,
                              [(day_file.minute(s), day_file.minute(e)) for s, e in spans],
                              [(day_file.minute(s), day_file.minute(e)) for s, e in merge(lost)],
                              kept))

    def mark_lost(self, start: datetime, end: datetime) -> None:
        """[start, end) can no longer be collected (its uncollected parts are lost)."""
        for day_file in self._each_day(start, end):
            a, b = max(start, day_file.start), min(end, day_file.start + timedelta(days=1))
            pieces = subtract((a, b), day_file.intervals("collected"))
            spans = merge([*day_file.intervals("lost"), *pieces])
            self.save(DayFile(day_file.day, list(day_file.collected),
                              [(day_file.minute(s), day_file.minute(e)) for s, e in spans],
                              dict(day_file.rows)))

    def coverage(self, start: datetime, end: datetime) -> tuple[list[Interval], list[Interval]]:
        """(collected, lost) intervals within [start, end)."""
        collected: list[Interval] = []
        lost: list[Interval] = []
        for day_file in self._each_day(start, end):
            collected.extend(day_file.intervals("collected"))
            lost.extend(day_file.intervals("lost"))
        def clip(spans: list[Interval]) -> list[Interval]:
            return merge((max(a, start), min(b, end)) for a, b in spans)
        return clip(collected), clip(lost)

    def accounted_until(self, edge: datetime) -> datetime | None:
        """The end of the last collected or lost stretch that began before `edge`, or None
        when nothing before `edge` was ever collected (a store that begins now)."""
        for day in reversed(self.days()):
            if datetime(day.year, day.month, day.day, tzinfo=UTC) >= edge:
                continue
            day_file = self.load(day)
            ends = [e for s, e in day_file.intervals("collected") + day_file.intervals("lost")
                    if s < edge]
            if ends:
                return max(ends)
        return None

    def raw_counts(self, domains: Iterable[str], start: datetime,
                   end: datetime) -> dict[Category, int]:
        """Logs per category of these domains in [start, end) (slots inside it)."""
        wanted = {d.casefold() for d in domains}
        totals: dict[Category, int] = {}
        for day_file in self._each_day(start, end):
            a, b = day_file.minute(start), day_file.minute(end)
            for (minute, domain, *category), count in day_file.rows.items():
                if a <= minute < b and domain.casefold() in wanted:
                    key = (category[0], category[1], category[2])
                    totals[key] = totals.get(key, 0) + count
        return totals
