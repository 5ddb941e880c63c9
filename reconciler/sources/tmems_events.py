"""Which Trend Micro Email Security policy event logs count as which of our detections.

The API is asked for one requested event type at a time (`event=spam|phishing|threat|...`,
"List policy event logs"); each log it returns carries a returned `eventType` and
`eventSubtype`. Trend Micro's table "Mapping between event types in the request and
response" (docs.trendmicro.com/en-us/documentation/article/
trend-micro-email-security-rest-api-online-help-mapping-between-even) lists, for the
requested type `threat`: Malware (subtypes Predictive Machine Learning, Pattern-based
scanning), Ransomware, Suspicious Objects (Suspicious Files, Suspicious URLs), Advanced
Persistent Threat (Analyzed Advanced Threats (Files), Analyzed Advanced Threats (URLs),
Probable Advanced Threats), Scan Exception, Web Reputation; for `anti_spoof`:
Domain-based Authentication. The rows for `spam` and `phishing` are beyond what our
stored copy of that page shows, so `spam` and `phishing` count every log returned for
that requested type (documented), and `bec` is the `spam` logs whose eventType is
"Business Email Compromise": unverified. Every mapping can be replaced per detection in
`sources.detections.email_security.events`, and the collected files keep the raw
(requested type, eventType, eventSubtype) counts, so a corrected mapping also applies to
what was already collected. A log may count for several detections: `malware` counts
every Malware log, `malware_ml` those found by Predictive Machine Learning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.config.model import EventMatch

REQUESTED_EVENTS = ("anti_spoof", "threat", "spam", "content_filter", "dlp", "phishing",
                    "anomaly")  # "List policy event logs", parameter `event`

DEFAULT_EVENTS: Mapping[str, EventMatch] = {
    "spam": EventMatch("spam"),
    "phishing": EventMatch("phishing"),
    "bec": EventMatch("spam", types=("Business Email Compromise",)),  # unverified
    "malware": EventMatch("threat", types=("Malware",)),
    "malware_ml": EventMatch("threat", types=("Malware",),
                             subtypes=("Predictive Machine Learning",)),
    "ransomware": EventMatch("threat", types=("Ransomware",)),
    "suspicious_files": EventMatch("threat", types=("Suspicious Objects",),
                                   subtypes=("Suspicious Files",)),
    "analyzed_advanced_threats": EventMatch(
        "threat", types=("Advanced Persistent Threat",),
        subtypes=("Analyzed Advanced Threats (Files)", "Analyzed Advanced Threats (URLs)")),
    "probable_advanced_threats": EventMatch("threat", types=("Advanced Persistent Threat",),
                                            subtypes=("Probable Advanced Threats",)),
}

Category = tuple[str, str, str]  # (requested event, returned eventType, eventSubtype)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def effective_events(configured: Mapping[str, EventMatch]) -> dict[str, EventMatch]:
    """The built-in mapping with reconciler.yaml's replacements."""
    return {**DEFAULT_EVENTS, **configured}


def matches(match: EventMatch, category: Category) -> bool:
    event, event_type, subtype = category
    if match.event != event:
        return False
    if match.types and _fold(event_type) not in {_fold(t) for t in match.types}:
        return False
    return not match.subtypes or _fold(subtype) in {_fold(s) for s in match.subtypes}


def requested_events(events: Mapping[str, EventMatch], names: Iterable[str]) -> list[str]:
    """The requested event types the detections `names` need, in the API's order."""
    needed = {events[name].event for name in names if name in events}
    return [event for event in REQUESTED_EVENTS if event in needed]


def detection_counts(raw: Mapping[Category, int], events: Mapping[str, EventMatch],
                     names: Iterable[str]) -> dict[str, int]:
    """Counts per detection name from raw category counts (every name, zero included)."""
    totals = {}
    for name in names:
        match = events[name]
        totals[name] = sum(count for category, count in raw.items() if matches(match, category))
    return totals


def unmapped(raw: Mapping[Category, int], events: Mapping[str, EventMatch]) -> dict[Category, int]:
    """Raw categories no detection counts (so a mapping that misses real data shows)."""
    return {category: count for category, count in raw.items()
            if not any(matches(match, category) for match in events.values())}
