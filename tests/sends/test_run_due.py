"""run_due against the in-process sandbox: first runs, repeats, gaps, missed periods,
missing usage, bulk key reads, dry runs, duplicates, races and ticket routing."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from reconciler.config.model import TicketSettings
from reconciler.domain import records
from reconciler.schedule import zone
from reconciler.sends import run_due
from tests.sends import world

NY = zone("America/New_York")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


def run(fleet, gateway, when, **kwargs):
    usage, detections = world.sources(fleet)
    return run_due(fleet, gateway, when, usage=usage, detections=detections, **kwargs)


def outcomes(report) -> dict[str, str]:
    return {r.key: r.outcome for r in report.results}


FIRST = {  # billing on day X bills the month before (contract 2)
    "tmrm:billing:HOOLI:2026-09": "sent",  # day 30: Oct 30 billed September
    "tmrm:hes:HOOLI:2026-10": "sent",  # monthly, due Nov 1
    "tmrm:tmems:HOOLI:2026-W47": "sent",  # weekly, due Monday Nov 23
    "tmrm:billing:INITECH:2026-10": "sent",  # day 15: Nov 15 billed October
    "tmrm:tmems:INITECH:2026-11-24": "sent",  # daily
    "tmrm:billing:STARK:2026-09": "sent",  # day 31: Oct 31 billed September
    "tmrm:hes:STARK:2026-11-24": "sent",
}


def test_first_run_sends_only_the_latest_period_and_a_second_run_nothing(data, app, gateway):
    fleet = world.fleet(data)
    first = run(fleet, gateway, at(2026, 11, 25, 12))
    assert outcomes(first) == FIRST
    assert first.ok
    mark = len(app.request_log)
    second = run(fleet, gateway, at(2026, 11, 25, 12))
    assert set(outcomes(second).values()) == {"already_sent"}
    assert second.ok
    assert world.methods_since(app, mark) == {"GET"}  # nothing written
    # ~150 candidate keys of the 62-day window in chunked `in (...)` listings plus one
    # history listing: a handful of requests, none per send
    assert second.requests <= 6
    tickets = world.tickets(app)
    assert sorted(t["externalXRef"] for t in tickets if t.get("externalXRef")) == sorted(FIRST)


def test_tickets_are_routed_and_carry_the_source_quantities(data, app, client, gateway):
    fleet = world.fleet(data)
    run(fleet, gateway, at(2026, 11, 25, 12))
    ticket = client.list("/service/tickets",
                         conditions='externalXRef = "tmrm:billing:INITECH:2026-10"')[0]
    units = world.units("initech", "tmems", 2026, 10)
    record = records.billing_record("tmrm:billing:INITECH:2026-10", {"tmems": units})
    digest = records.digest(record)
    assert ticket["summary"] == f"Trend Micro billing 2026-10: Initech LLC [r:{digest}]"
    assert (ticket["board"]["name"], ticket["status"]["name"], ticket["priority"]["name"],
            ticket["type"]["name"]) == ("Trend Micro Billing", "New", "Priority 4 - Low",
                                        "Trend Micro")
    assert ticket["company"]["identifier"] == "INITECH"
    assert ticket["agreement"]["id"]  # one agreement: referenced on the ticket
    assert world.addition_quantity(app, ticket["agreement"]["id"], "TM-EMS") == units
    text = world.note_text(app, ticket["id"])
    assert "Trend Micro Email Security" in text and str(units) in text
    assert records.parse_record(text) == record  # read back exactly (contract 1)
    summary = client.list("/service/tickets",
                          conditions='externalXRef = "tmrm:hes:STARK:2026-11-24"')[0]
    note = world.note_text(app, summary["id"])
    assert "spam" in note and "virus" in note and "phishing" not in note  # selected only
    assert set(records.parse_record(note)["counts"]) == {"spam", "virus"}
    assert records.summary_digest(summary["summary"]) == records.digest(
        records.parse_record(note))


def test_gaps_since_the_last_period_sent_are_filled(data, app, gateway):
    fleet = world.fleet(data)
    run(fleet, gateway, at(2026, 11, 20, 12))
    report = run(fleet, gateway, at(2026, 11, 25, 12))  # runs of Nov 21-24 were skipped
    sent = {r.period for r in report.results
            if r.outcome == "sent" and r.customer == "initech" and r.kind == "email_security"}
    assert sent == {"2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"}
    gap = next(r for r in report.results if r.key == "tmrm:tmems:INITECH:2026-11-21")
    assert gap.detail.startswith("catching up")
    assert outcomes(report)["tmrm:tmems:HOOLI:2026-W47"] == "sent"


def test_periods_older_than_the_lookback_are_reported_missed(data, app, gateway):
    fleet = world.fleet(data, lookback_days=10)
    run(fleet, gateway, at(2026, 10, 1, 12))
    report = run(fleet, gateway, at(2026, 11, 25, 12))
    missed = [r for r in report.results if r.outcome == "missed"
              and r.customer == "stark" and r.kind == "hosted_email_security"]
    assert missed[0].period == "2026-10-01" and missed[-1].period == "2026-11-14"
    assert "older than the 10-day look-back" in missed[0].detail
    sent = [r.period for r in report.results if r.outcome == "sent"
            and r.customer == "stark" and r.kind == "hosted_email_security"]
    assert sent[0] == "2026-11-15" and sent[-1] == "2026-11-24"
    assert not report.ok  # exit 1: someone has to look
    assert "recorded as owed on ticket #" in missed[0].detail
    marks = [t["externalXRef"] for t in world.tickets(app)
             if (t["externalXRef"] or "").startswith("tmrm:owed-hes:STARK:")]
    assert len(marks) == len(missed)  # one mark each, kept in ConnectWise
    again = run(fleet, gateway, at(2026, 11, 25, 13))
    still = [r for r in again.results if r.outcome == "missed"
             and r.customer == "stark" and r.kind == "hosted_email_security"]
    # reported on every run until sent or waived, never just once; marked already
    assert [r.period for r in still] == [r.period for r in missed] and not again.ok
    assert "recorded as owed" not in still[0].detail


def test_missing_usage_fails_that_customer_and_is_never_billed_as_zero(data, app, gateway):
    fleet = world.fleet(data)
    world.write_usage(data, 2026, 10, skip={("initech", "tmems")})
    report = run(fleet, gateway, at(2026, 11, 25, 12))
    failed = next(r for r in report.results if r.key == "tmrm:billing:INITECH:2026-10")
    assert failed.outcome == "failed"
    assert "no usage reported for tmems in 2026-10 (source: file usage)" in failed.detail
    assert not report.ok
    assert world.addition_quantity(app, 105, "TM-EMS") == 51  # untouched
    assert "tmrm:billing:INITECH:2026-10" not in {t["externalXRef"] for t in world.tickets(app)}
    assert outcomes(report)["tmrm:tmems:INITECH:2026-11-24"] == "sent"  # others go on
    world.write_usage(data, 2026, 10)
    retry = run(fleet, gateway, at(2026, 11, 25, 13))
    assert outcomes(retry)["tmrm:billing:INITECH:2026-10"] == "sent"


def test_missing_detection_file_fails_the_summary(data, app, gateway):
    fleet = world.fleet(data)
    (data / "detections" / "email_security" / "2026-11.csv").unlink()
    report = run(fleet, gateway, at(2026, 11, 25, 12))
    result = next(r for r in report.results if r.key == "tmrm:tmems:INITECH:2026-11-24")
    assert result.outcome == "failed" and "no email_security detection file" in result.detail


def test_dry_run_reads_everything_and_writes_nothing(data, app, gateway):
    fleet = world.fleet(data)
    mark = len(app.request_log)
    report = run(fleet, gateway, at(2026, 11, 25, 12), dry_run=True)
    assert {r.outcome for r in report.results} == {"skipped"}
    assert all(r.detail.startswith("dry run: would") for r in report.results)
    assert world.methods_since(app, mark) == {"GET"}
    assert world.tickets(app) == [t for t in world.tickets(app) if not t.get("externalXRef")]
    real = run(fleet, gateway, at(2026, 11, 25, 12))
    assert set(outcomes(real)) == set(outcomes(report))  # the same sends, really sent


def test_duplicate_tickets_left_by_a_crashed_run_are_settled(data, app, client, gateway):
    fleet = world.fleet(data)
    run(fleet, gateway, at(2026, 11, 25, 12))
    key = "tmrm:hes:STARK:2026-11-24"
    dup = client.post("/service/tickets", {"summary": "dup", "company": {"identifier": "STARK"},
                                           "externalXRef": key})
    report = run(fleet, gateway, at(2026, 11, 25, 13))
    result = next(r for r in report.results if r.key == key)
    assert result.outcome == "already_sent"
    assert f"settled duplicate ticket #{dup['id']}" in result.detail
    assert report.ok and "warning" not in {r.outcome for r in report.results}
    winner, loser = gateway.tickets(keys=[key]).records
    assert (loser.id, loser.duplicate_of, loser.closed) == (dup["id"], winner.id, True)
    assert result.detail.startswith(f"ticket #{winner.id};")
    mark = len(app.request_log)
    again = run(fleet, gateway, at(2026, 11, 25, 14))
    assert next(r for r in again.results if r.key == key).detail == f"ticket #{winner.id}"
    assert world.methods_since(app, mark) == {"GET"}  # settled once: nothing to redo


def test_two_runs_at_once_send_each_period_once(data, app):
    fleet = world.fleet(data)
    barrier = threading.Barrier(2)
    reports = []

    def racer():
        gateway = world.gateway(app)
        barrier.wait()
        reports.append(run(fleet, gateway, at(2026, 11, 25, 12)))

    threads = [threading.Thread(target=racer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counted = world.gateway(app).tickets(keys=list(FIRST)).records
    keys = [t.key for t in counted if t.duplicate_of is None]
    assert sorted(keys) == sorted(FIRST)  # exactly one ticket per key counts
    assert all(t.closed for t in counted if t.duplicate_of is not None)  # losers settled
    for key in FIRST:
        got = sorted(outcomes(r)[key] for r in reports)
        assert got == ["already_sent", "sent"], (key, got)  # one run sent it, once


def test_unknown_ticket_board_fails_every_send_clearly(data, app, gateway):
    fleet = world.fleet(data)
    fleet = replace(fleet, settings=replace(fleet.settings, tickets=TicketSettings(
        "Nope", "New", "Priority 4 - Low")))
    report = run(fleet, gateway, at(2026, 11, 25, 12))
    assert {r.outcome for r in report.results} == {"failed"}
    assert "tickets: board 'Nope' not found in ConnectWise (have: Help Desk, Trend Micro " \
           "Billing)" in report.results[0].detail


def test_customer_selection_and_disabled_customers(data, app, gateway):
    fleet = world.fleet(data)
    hooli, initech, stark = fleet.customers
    off = replace(stark, enabled=False)
    fleet = replace(fleet, customers=(hooli, initech, off))
    report = run(fleet, gateway, at(2026, 11, 25, 12), customers=[initech, off])
    assert {r.customer for r in report.results} == {"initech"}


def test_dst_changes_in_the_configured_zone(tmp_path, app, gateway):
    from datetime import date

    for month in (2, 3, 10, 11):
        world.write_usage(tmp_path, 2026, month)
    world.write_detections(tmp_path, date(2026, 3, 1), date(2026, 3, 31))
    world.write_detections(tmp_path, date(2026, 10, 1), date(2026, 11, 30))
    fleet = world.fleet(tmp_path)

    fall = world.gateway(world.app())  # its own ConnectWise: March's keys would make the
    # months in between `missed` there

    def daily(send_at: str, when: str) -> dict[str, str]:
        f = replace(fleet, settings=replace(fleet.settings, send_at=send_at))
        report = run(f, gateway if when < "2026-06" else fall, datetime.fromisoformat(when),
                     customers=[c for c in f.customers if c.slug == "stark"])
        return {r.period: r.outcome for r in report.results if r.kind != "billing"}

    # 02:30 does not exist on 2026-03-08: the Mar 7 summary is due at 03:00 EDT
    assert daily("02:30", "2026-03-08T01:59:00-05:00") == {"2026-03-06": "sent"}
    assert daily("02:30", "2026-03-08T03:00:00-04:00") == {"2026-03-07": "sent"}
    # 01:30 happens twice on 2026-11-01: the first one sends, the second finds it sent
    assert daily("01:30", "2026-11-01T01:29:00-04:00") == {"2026-10-30": "sent"}
    assert daily("01:30", "2026-11-01T01:30:00-04:00") == {"2026-10-31": "sent"}
    assert daily("01:30", "2026-11-01T01:30:00-05:00") == {"2026-10-31": "already_sent"}


def test_bad_routing_fails_before_any_quantity_is_patched(data, app, gateway):
    fleet = world.fleet(data)
    bad = replace(fleet, settings=replace(fleet.settings, tickets=TicketSettings(
        "Trend Micro Billing", "Nope", "Priority 4 - Low")))
    stark = [c for c in fleet.customers if c.slug == "stark"]
    mark = len(app.request_log)
    dry = run(bad, gateway, at(2026, 11, 25, 12), customers=stark, dry_run=True)
    assert {r.outcome for r in dry.results} == {"failed"}  # the dry run says so too
    report = run(bad, gateway, at(2026, 11, 25, 12), customers=stark)
    assert "status on board 'Trend Micro Billing': 'Nope' not found" in report.results[0].detail
    assert "PATCH" not in world.methods_since(app, mark)
    assert world.addition_quantity(app, 111, "TM-WFBSS") == 70  # the seed's, untouched


def test_a_duplicate_that_cannot_be_settled_is_a_warning_row_and_the_run_goes_on(
        data, app, client, gateway):
    fleet = world.fleet(data)
    run(fleet, gateway, at(2026, 11, 25, 12))
    key = "tmrm:hes:STARK:2026-11-24"
    dup = client.post("/service/tickets", {"summary": "dup", "company": {"identifier": "STARK"},
                                           "externalXRef": key})
    app.faults.forbid("PATCH", r"^service/tickets/\d+$")  # the role cannot edit tickets
    report = run(fleet, gateway, at(2026, 11, 26, 12))  # a new day is due for every daily send
    assert report.ok  # a warning is housekeeping, not a failed send
    [warning] = [r for r in report.results if r.outcome == "warning"]
    assert (warning.customer, warning.kind, warning.period, warning.key) == (
        "stark", "hosted_email_security", "2026-11-24", key)
    assert f"duplicate ticket #{dup['id']} of {key}" in warning.detail and "403" in warning.detail
    sent = {r.key for r in report.results if r.outcome == "sent"}
    assert "tmrm:hes:STARK:2026-11-25" in sent and "tmrm:tmems:INITECH:2026-11-25" in sent
    assert report.counts()["warning"] == 1
    app.faults.allow_all()  # the role was fixed: the next run settles it
    later = run(fleet, gateway, at(2026, 11, 26, 13))
    assert "warning" not in {r.outcome for r in later.results}
    winner, loser = gateway.tickets(keys=[key]).records
    assert (loser.id, loser.duplicate_of, loser.closed) == (dup["id"], winner.id, True)
