"""What a run must send, from what was sent, over the in-memory gateway (fast; the same
logic against the sandbox is test_run_due.py): catch-up by coverage, canonical keys,
missed and owed periods, waivers, malformed answers."""

from dataclasses import replace
from datetime import datetime

import pytest

from reconciler.config.model import BillingPolicy, Policy, SummaryPolicy
from reconciler.connectwise import ServerError, Unauthorized
from reconciler.domain.keys import OWED, WAIVED, kind_prefix, mark_key, send_key
from reconciler.schedule import Clock
from reconciler.sends.due import find_due
from tests.fakes.gateway import FakeGateway
from tests.schedule.factories import customer

CLOCK = Clock.of("America/New_York", "06:00")
AT = datetime(2026, 11, 25, 12, tzinfo=CLOCK.tz)
DAILY = customer("acme", "ACME", Policy(hosted_email_security=SummaryPolicy("day", ("spam",))))
MONTHLY = customer("zed", "ZED", Policy(billing=BillingPolicy(1, ("wfbss",))))
HES = "hosted_email_security"


def site() -> FakeGateway:
    fake = FakeGateway()
    fake.add_company(1, "ACME")
    fake.add_company(2, "ZED")
    return fake


def statuses(plan) -> dict[str, str]:
    return {s.period.label: s.status for s in plan.sends}


def test_a_first_run_sends_only_the_latest_period():
    plan = find_due(site(), [DAILY], CLOCK, AT, lookback_days=10)
    assert statuses(plan) == {"2026-11-24": "send"}


def test_gaps_after_the_last_period_sent_are_sent_and_sent_ones_are_not():
    fake = site()
    for day in [*range(1, 21), 22]:
        fake.add_ticket(day, send_key(HES, "ACME", f"2026-11-{day:02d}"))
    plan = find_due(fake, [DAILY], CLOCK, AT, lookback_days=10)
    assert statuses(plan) == {"2026-11-21": "send", "2026-11-23": "send", "2026-11-24": "send"}
    assert [s.gap for s in plan.sends] == [True, True, False]


def test_history_is_read_only_when_the_span_read_does_not_start_covered():
    fake = site()
    fake.add_ticket(1, send_key(HES, "ACME", "2026-10-20"))  # before the span read
    plan = find_due(fake, [DAILY], CLOCK, AT, lookback_days=10)
    missed = [s.period.label for s in plan.sends if s.status == "missed"]
    assert missed[0] == "2026-10-21" and missed[-1] == "2026-11-14"
    assert statuses(plan)["2026-11-15"] == "send" and statuses(plan)["2026-11-24"] == "send"
    # companies, marks, the span's keys, then the history of that pair
    assert fake.request_count == 4
    steady = site()
    for day in range(1, 25):
        steady.add_ticket(day, send_key(HES, "ACME", f"2026-11-{day:02d}"))
    for day in range(1, 32):
        steady.add_ticket(100 + day, send_key(HES, "ACME", f"2026-10-{day:02d}"))
    find_due(steady, [DAILY], CLOCK, AT, lookback_days=10)
    assert steady.request_count == 3  # no history: the span read starts covered


def test_a_frequency_switch_sends_only_what_no_send_covers():
    """Weekly summaries through W47 (Nov 16-22), then the README's switch to daily."""
    fake = site()
    for week in range(35, 48):
        fake.add_ticket(week, send_key(HES, "ACME", f"2026-W{week}"))
    plan = find_due(fake, [DAILY], CLOCK, AT, lookback_days=62)
    assert statuses(plan) == {"2026-11-23": "send", "2026-11-24": "send"}  # no missed
    weekly = replace(DAILY, policy=Policy(hosted_email_security=SummaryPolicy("week",
                                                                              ("spam",))))
    for day in (23, 24, 25, 26, 27):
        fake.add_ticket(200 + day, send_key(HES, "ACME", f"2026-11-{day:02d}"))
    back = find_due(fake, [weekly], CLOCK, datetime(2026, 11, 30, 12, tzinfo=CLOCK.tz), 62)
    assert statuses(back) == {"2026-11-28/2026-11-29": "send"}  # the rest of W48


def test_keys_use_the_identifier_as_connectwise_holds_it_and_compare_in_any_case():
    fake = FakeGateway()
    fake.add_company(1, "AcMe")
    fake.add_ticket(1, send_key(HES, "ACME", "2026-11-23"))  # sent before a case change
    plan = find_due(fake, [replace(DAILY, company="acme")], CLOCK, AT, lookback_days=10)
    [send] = plan.sends
    assert (send.period.label, send.status, send.key) == (
        "2026-11-24", "send", "tmrm:hes:AcMe:2026-11-24")
    assert not send.gap  # the latest: and 11-23 was found sent, whatever its case


def test_a_company_that_does_not_exist_fails_its_sends_up_front():
    plan = find_due(site(), [replace(DAILY, company="ACMEE")], CLOCK, AT, lookback_days=10)
    [send] = plan.sends
    assert send.status == "failed" and "company ACMEE does not exist" in send.detail


def test_an_owed_mark_keeps_a_first_period_owed_and_a_waiver_covers():
    fake = site()
    monthly = replace(MONTHLY, policy=Policy(billing=BillingPolicy(15, ("wfbss",))))
    # its first billing (September, due Oct 15) failed and was marked owed
    fake.add_ticket(1, mark_key(OWED, "billing", "ZED", "2026-09"), "ZED")
    plan = find_due(fake, [monthly], CLOCK, AT, lookback_days=62)
    assert statuses(plan) == {"2026-09": "send", "2026-10": "send"}
    assert [s.owed_mark for s in plan.sends] == [True, False]
    fake.add_ticket(2, mark_key(WAIVED, "billing", "ZED", "2026-09"), "ZED")
    assert statuses(find_due(fake, [monthly], CLOCK, AT, lookback_days=62)) == {
        "2026-10": "send"}


def test_an_owed_period_older_than_the_lookback_is_missed_on_every_run():
    fake = site()
    fake.add_ticket(1, mark_key(OWED, "billing", "ZED", "2026-06"), "ZED")
    for month in ("2026-05", "2026-07", "2026-08", "2026-09", "2026-10"):
        fake.add_ticket(int(month[-2:]) + 10, send_key("billing", "ZED", month), "ZED")
    for hour in (12, 13):
        plan = find_due(fake, [MONTHLY], CLOCK, AT.replace(hour=hour), lookback_days=62)
        missed = [s for s in plan.sends if s.status == "missed"]
        assert [(s.period.label, s.owed_mark) for s in missed] == [("2026-06", True)]


def test_a_malformed_ticket_fails_its_customer_and_kind_and_nothing_else():
    fake = site()
    fake.answer_malformed("tickets", "ticket", owner=send_key(HES, "acme", "2026-11-23"))
    plan = find_due(fake, [DAILY, MONTHLY], CLOCK, AT, lookback_days=10)
    by_customer = {s.customer.slug: s for s in plan.sends}
    broken = by_customer["acme"]
    assert (broken.status, broken.period.label) == ("failed", "2026-11-24")
    assert "cannot tell what was sent" in broken.detail
    assert by_customer["zed"].status == "send"


def test_a_malformed_ticket_whose_key_is_unreadable_fails_every_send():
    fake = site()
    fake.answer_malformed("tickets", "ticket 9", owner=None)
    plan = find_due(fake, [DAILY, MONTHLY], CLOCK, AT, lookback_days=10)
    assert {s.status for s in plan.sends} == {"failed"}


def _down(path: str) -> ServerError:
    return ServerError(503, "", "Service Unavailable", (), "GET", path, attempts=6)


def test_a_failed_request_of_the_span_read_fails_only_the_pairs_it_asked_for():
    fake = site()
    fake.fail_read(kind_prefix("billing", "ZED"), _down("/service/tickets"))
    plan = find_due(fake, [DAILY, MONTHLY], CLOCK, AT, lookback_days=10)
    by_customer = {s.customer.slug: s for s in plan.sends}
    broken = by_customer["zed"]
    assert (broken.status, broken.period.label) == ("failed", "2026-10")
    assert broken.detail.startswith("reading what was sent since 2026-11-04 failed: "
                                    "ConnectWise ")
    assert broken.detail.endswith("nothing is sent for it, the next run tries again")
    assert by_customer["acme"].status == "send"


def test_a_failed_request_of_the_history_read_fails_only_that_pair():
    fake = site()
    # the history read asks for the kind's whole prefix (the span read asks by month)
    fake.fail_read(kind_prefix(HES, "ACME"), _down("/service/tickets"), exact=True)
    plan = find_due(fake, [DAILY, MONTHLY], CLOCK, AT, lookback_days=10)
    by_customer = {s.customer.slug: s for s in plan.sends}
    assert by_customer["acme"].status == "failed"
    assert by_customer["acme"].detail.startswith("reading what was sent before 2026-11-04 "
                                                 "failed: ConnectWise ")
    assert by_customer["zed"].status == "send"


def test_a_refused_request_stops_the_run_with_its_one_clear_error():
    fake = site()
    refused = Unauthorized(401, "", "Authentication failed.", (), "GET", "/service/tickets")
    fake.fail_read(kind_prefix("billing", "ZED"), refused)
    with pytest.raises(Unauthorized):
        find_due(fake, [DAILY, MONTHLY], CLOCK, AT, lookback_days=10)
