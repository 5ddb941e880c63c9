"""Properties of due computation over random instants, zones and cadences."""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.schedule import Cadence, Clock

ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
cadences = st.one_of(
    st.builds(Cadence, st.just("billing"), st.just("month"), st.integers(1, 31)),
    st.builds(Cadence, st.sampled_from(["hosted_email_security", "email_security"]),
              st.sampled_from(["day", "week", "month"])),
)
instants = st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC))
clocks = st.builds(Clock.of, st.sampled_from(ZONES),
                   st.sampled_from(["00:00", "01:30", "02:30", "06:00", "23:59"]))


@settings(max_examples=300, deadline=None)
@given(cadences, instants, clocks)
def test_latest_due_is_due_and_the_next_is_not(cadence, at, clock):
    latest = cadence.latest_due(at, clock)
    assert cadence.due(latest, clock) <= at < cadence.due(latest.next(), clock)


@settings(max_examples=150, deadline=None)
@given(cadences, instants, clocks, st.integers(1, 120))
def test_due_between_is_every_period_once_in_order(cadence, at, clock, days):
    start = at - timedelta(days=days)
    periods = cadence.due_between(start, at, clock)
    dues = [cadence.due(p, clock) for p in periods]
    assert all(start < d <= at for d in dues)
    assert dues == sorted(dues) and len({p.label for p in periods}) == len(periods)
    for a, b in itertools.pairwise(periods):
        assert a.next() == b  # no period skipped, DST or not
