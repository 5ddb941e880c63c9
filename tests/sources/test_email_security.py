"""Email Security summaries from the collected files: local days of the configured zone
(23 and 25 hours too), a day not completely collected is named (and said lost when it
is), counts mapped to detection names."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reconciler.config.model import EventMatch
from reconciler.sources import RoutedDetections
from reconciler.sources.collected import CollectedStore
from reconciler.sources.email_security import CollectedDetections, local_day
from reconciler.sources.model import MissingDays, SourceError
from reconciler.sources.tmems_events import DEFAULT_EVENTS

NEW_YORK = ZoneInfo("America/New_York")
ACME = "6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01"
NAMES = ["spam", "phishing", "bec", "malware", "malware_ml", "ransomware"]


def source(store, names=NAMES, events=DEFAULT_EVENTS, tz=NEW_YORK):
    return CollectedDetections(store, {ACME: ("acme.example", "acme-corp.example")}, tz,
                               events, names)


def fill(store: CollectedStore, start: datetime, end: datetime, per_hour: dict) -> None:
    """Every hour of [start, end) collected with these counts, plus noise of others."""
    hour = start
    while hour < end:
        rows = {(hour, "acme.example", *category): n for category, n in per_hour.items()}
        rows[(hour + timedelta(minutes=30), "acme-corp.example", "spam", "Spam", "")] = 1
        rows[(hour, "other.example", "spam", "Spam", "")] = 50  # another customer's
        store.replace(hour, hour + timedelta(hours=1), rows)
        hour += timedelta(hours=1)


PER_HOUR = {("spam", "Spam", ""): 2, ("spam", "Business Email Compromise", ""): 1,
            ("threat", "Malware", "Predictive Machine Learning"): 1,
            ("threat", "Malware", "Pattern-based scanning"): 3}


def test_a_local_day_is_its_utc_stretch_23_and_25_hours_at_the_changes():
    assert local_day(date(2026, 11, 24), NEW_YORK) == (
        datetime(2026, 11, 24, 5, tzinfo=UTC), datetime(2026, 11, 25, 5, tzinfo=UTC))
    start, end = local_day(date(2026, 11, 1), NEW_YORK)  # clocks go back: 25 hours
    assert end - start == timedelta(hours=25)
    start, end = local_day(date(2026, 3, 8), NEW_YORK)  # clocks go forward: 23 hours
    assert end - start == timedelta(hours=23)
    start, end = local_day(date(2026, 11, 24), ZoneInfo("Asia/Kolkata"))
    assert (start.hour, start.minute) == (18, 30)  # quarter-hour slots fit +05:30


def test_counts_of_complete_days_mapped_to_detections(tmp_path):
    store = CollectedStore(tmp_path)
    fill(store, datetime(2026, 10, 31, 0, tzinfo=UTC), datetime(2026, 11, 3, 0, tzinfo=UTC),
         PER_HOUR)
    counts = source(store).counts("email_security", ACME, date(2026, 11, 1), date(2026, 11, 1))
    hours = 25  # Nov 1 in New York
    assert counts == {"spam": 4 * hours, "bec": hours, "malware": 4 * hours,
                      "malware_ml": hours, "phishing": 0, "ransomware": 0}


def test_a_day_not_completely_collected_is_named_and_lost_days_are_said_lost(tmp_path):
    store = CollectedStore(tmp_path)
    fill(store, datetime(2026, 11, 20, 5, tzinfo=UTC), datetime(2026, 11, 23, 4, tzinfo=UTC),
         PER_HOUR)  # Nov 22 New York ends 05:00Z: one hour short
    store.mark_lost(datetime(2026, 11, 23, 4, tzinfo=UTC), datetime(2026, 11, 24, 8, tzinfo=UTC))
    with pytest.raises(MissingDays) as info:
        source(store).counts("email_security", ACME, date(2026, 11, 19), date(2026, 11, 25))
    error = info.value
    assert error.missing == (date(2026, 11, 19), date(2026, 11, 22), date(2026, 11, 23),
                             date(2026, 11, 24), date(2026, 11, 25))
    assert error.lost == (date(2026, 11, 22), date(2026, 11, 23), date(2026, 11, 24))
    assert str(error) == (
        "Email Security detections not completely collected for 2026-11-19, 2026-11-22..25 "
        "(lost for good: 2026-11-22..24 fell out of Trend Micro Email Security's 72-hour log "
        "window before they were collected); `reconciler collect detections` collects them "
        "(hourly)")
    assert source(store).counts("email_security", ACME, date(2026, 11, 20),
                                date(2026, 11, 21))["spam"] == 4 * 48


def test_a_customer_without_domains_and_a_detection_without_mapping(tmp_path):
    store = CollectedStore(tmp_path)
    with pytest.raises(SourceError, match=r"has no trend_micro\.email_domains"):
        source(store).counts("email_security", "someone-else", date(2026, 11, 1),
                             date(2026, 11, 1))
    with pytest.raises(SourceError, match=re.escape(
            "no policy event mapping for detection(s) quarantined: add them to "
            "sources.detections.email_security.events")):
        source(store, names=[*NAMES, "quarantined"]).counts(
            "email_security", ACME, date(2026, 11, 1), date(2026, 11, 1))
    custom = {**DEFAULT_EVENTS, "quarantined": EventMatch("threat", types=("Malware",))}
    fill(store, datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 2, 5, tzinfo=UTC),
         PER_HOUR)
    assert source(store, names=["quarantined"], events=custom).counts(
        "email_security", ACME, date(2026, 11, 1), date(2026, 11, 1)) == {"quarantined": 100}


def test_hosted_email_security_keeps_its_files(tmp_path):
    class Files:
        description = "file data/detections"

        def counts(self, kind, customer_id, start, end):
            return {"from": kind}
    store = CollectedStore(tmp_path)
    fill(store, datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 2, 5, tzinfo=UTC),
         PER_HOUR)
    routed = RoutedDetections(Files(), source(store))
    day = date(2026, 11, 1)
    assert routed.counts("hosted_email_security", ACME, day, day) == {"from":
                                                                      "hosted_email_security"}
    assert routed.counts("email_security", ACME, day, day)["spam"] == 100
    assert RoutedDetections(Files(), None).counts("email_security", ACME, day, day) == {
        "from": "email_security"}
