"""The audit engine over a known year: every planted fault is found, a clean year is clean."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from reconciler.audit.engine import audit
from reconciler.audit.model import FINDING_KINDS
from reconciler.config.model import Policy
from reconciler.domain import records
from reconciler.domain.keys import OWED, WAIVED, mark_key, now_key, send_key
from reconciler.schedule import Clock, Period, cadences
from tests.audit.audit_factories import (
    FIRST_COMMIT,
    SEND_AT,
    TZ,
    billing_record,
    clean_world,
    counts_for,
    fleet_customers,
    policy,
    scope,
    summary_record,
    units_for,
)

ACME, GLOBEX, INITECH = fleet_customers()


def only(report, kind):
    found = [f for f in report.findings if f.kind == kind]
    assert found, f"no {kind} finding in {report.counts_by_kind()}"
    return found


def test_a_clean_year_has_no_findings_and_reads_no_note():
    world = clean_world()
    report = audit(world.facts(), scope())
    assert report.findings == ()
    assert not report.fails("any")
    # 12 billings for each of three customers but Globex's December (billed on the 31st
    # of the month after: contract 2, after NOW), 52 weekly and 12 monthly summaries
    assert len(report.rows) == 3 * 12 - 1 + 52 + 12
    assert {r.status for r in report.rows} == {"on_time"}
    assert world.on_demand.notes_read == []  # every digest matched: no note read
    acme_jan = next(r for r in report.rows if (r.customer, r.send, r.period)
                    == ("acme", "billing", "2026-01"))
    assert dict(acme_jan.units) == billing_record(ACME, "2026-01")["units"]


def test_a_missed_month_is_a_money_finding_naming_the_policy_commit():
    world = clean_world()
    world.drop(send_key("billing", "ACME", "2026-03"))
    report = audit(world.facts(), scope())
    (missed,) = only(report, "missed")
    assert (missed.customer, missed.period, missed.money) == ("acme", "2026-03", True)
    # March is billed on April 5th (billing on day X bills the month before)
    assert missed.commit == "a" * 40 and "2026-04-05 06:00 -0400" in missed.message
    assert report.fails("money")
    assert report.counts_by_kind() == {"missed": 1}


def test_a_missed_summary_is_a_warning_not_money():
    world = clean_world()
    world.drop(send_key("hosted_email_security", "ACME", "2026-W10"))
    report = audit(world.facts(), scope())
    (missed,) = only(report, "missed")
    assert missed.severity == "warning" and not report.fails("money") and report.fails("warning")


def test_a_period_not_yet_past_its_grace_is_pending_not_missed():
    world = clean_world()
    world.drop(send_key("billing", "ACME", "2026-03"))
    world.additions = []  # today's additions say nothing about March
    due = Clock.of(TZ, SEND_AT).instant(datetime(2026, 4, 5).date())  # March's billing
    report = audit(world.facts(), scope(now=due + timedelta(hours=3),
                                        end=datetime(2026, 3, 31).date()))
    row = next(r for r in report.rows if (r.customer, r.send, r.period)
               == ("acme", "billing", "2026-03"))
    assert row.status == "pending" and report.findings == ()


def test_a_late_catch_up_is_a_notice():
    world = clean_world()
    key = send_key("hosted_email_security", "ACME", "2026-W10")
    world.move(key, world.find(key).created + timedelta(days=3))
    report = audit(world.facts(), scope())
    (late,) = only(report, "late")
    assert late.severity == "notice" and late.ticket == world.find(key).id
    assert "3.0 days after" in late.message
    assert not report.fails("warning") and report.fails("any")


def test_duplicates_settled_and_unsettled():
    world = clean_world()
    key = send_key("billing", "GLOBEX", "2026-06")
    first = world.find(key)
    settled = world.send(key, billing_record(GLOBEX, "2026-06"),
                         first.created + timedelta(minutes=1), duplicate_of=first.id)
    key2 = send_key("billing", "INITECH", "2026-02")
    loose = world.send(key2, billing_record(INITECH, "2026-02"),
                       world.find(key2).created + timedelta(minutes=1))
    report = audit(world.facts(), scope())
    (s,) = only(report, "settled_duplicate")
    (u,) = only(report, "unsettled_duplicate")
    assert (s.ticket, s.severity) == (settled.id, "notice")
    assert (u.ticket, u.severity) == (loose.id, "money")
    row = next(r for r in report.rows if r.ticket == first.id)
    assert row.status == "on_time" and row.duplicates == (settled.id,)


def test_a_source_changed_after_billing_is_a_quantity_mismatch_read_from_the_note():
    world = clean_world()
    billed = units_for(GLOBEX.trend_micro_id, "wfbss", "2026-09")
    world.set_usage(GLOBEX.trend_micro_id, "wfbss", "2026-09", billed + 4)
    report = audit(world.facts(), scope())
    (mismatch,) = only(report, "quantity_mismatch")
    ticket = world.find(send_key("billing", "GLOBEX", "2026-09"))
    assert mismatch.ticket == ticket.id and mismatch.money
    assert f"billed {billed} wfbss; the source reports {billed + 4}" in mismatch.message
    assert mismatch.source == "data/usage/2026-09.csv:10"
    assert world.on_demand.notes_read == [ticket.id]  # one read, for the one mismatch


def test_a_hand_edited_addition_is_found_against_the_latest_billing():
    world = clean_world()
    world.additions[0] = replace(world.additions[0], quantity=99)
    report = audit(world.facts(), scope())
    (changed,) = only(report, "addition_changed")
    latest = world.find(send_key("billing", "ACME", "2026-12"))
    assert (changed.addition, changed.ticket, changed.period) == (500, latest.id, "2026-12")
    assert "quantity 99" in changed.message and changed.money


def test_an_addition_is_not_judged_when_the_range_ends_before_the_latest_billing():
    world = clean_world()
    world.additions[0] = replace(world.additions[0], quantity=99)
    report = audit(world.facts(), scope(end=datetime(2026, 6, 30).date()))
    assert not [f for f in report.findings if f.kind == "addition_changed"]
    assert any("additions not compared" in n for n in report.notes)


def test_a_send_while_disabled_names_the_commit_that_disabled_it():
    world = clean_world()
    off, on = datetime(2026, 6, 20, tzinfo=UTC), datetime(2026, 8, 15, tzinfo=UTC)
    disabled = replace(INITECH, enabled=False)
    world.timeline += [policy("b" * 40, off, (ACME, GLOBEX, disabled)),
                       policy("c" * 40, on, fleet_customers())]
    # June's billing (due July 1st) went out anyway (the ticket stays); July's (due
    # August 1st) came when re-enabled
    world.move(send_key("billing", "INITECH", "2026-07"), on + timedelta(hours=1))
    report = audit(world.facts(), scope())
    (found,) = only(report, "sent_while_disabled")
    assert (found.customer, found.period, found.commit) == ("initech", "2026-06", "b" * 40)
    assert "integration was disabled" in found.message and found.money
    july = next(r for r in report.rows if (r.customer, r.send, r.period)
                == ("initech", "billing", "2026-07"))
    assert july.status == "on_time" and july.commit == "c" * 40


def test_a_policy_switched_on_after_the_due_day_expects_the_send_at_once():
    world = clean_world()
    no_billing = replace(INITECH, policy=Policy())
    world.timeline = [policy("a" * 40, FIRST_COMMIT, (ACME, GLOBEX, no_billing)),
                      policy("d" * 40, datetime(2026, 5, 20, tzinfo=UTC), fleet_customers())]
    # billing of January to March fell due (on the 1st of the next month) while the
    # policy billed nothing; April's fell due on May 1st, before billing was switched on
    for month in range(1, 4):
        world.drop(send_key("billing", "INITECH", f"2026-{month:02d}"))
    world.move(send_key("billing", "INITECH", "2026-04"),
               datetime(2026, 5, 20, 1, tzinfo=UTC))
    report = audit(world.facts(), scope())
    assert report.findings == ()
    rows = [r for r in report.rows if (r.customer, r.send) == ("initech", "billing")]
    assert [r.period for r in rows] == [f"2026-{m:02d}" for m in range(4, 13)]
    assert rows[0].status == "on_time" and rows[0].commit == "d" * 40


def test_billing_a_product_the_policy_did_not_bill():
    world = clean_world()
    key = send_key("billing", "INITECH", "2026-10")
    record = records.billing_record(key, {**billing_record(INITECH, "2026-10")["units"],
                                          "cas": 3})
    original = world.find(key)
    world.drop(key)
    world.send(key, record, original.created)
    report = audit(world.facts(), scope())
    (found,) = only(report, "product_not_billed")
    assert "billed cas (3 units)" in found.message and found.money


def test_summary_counts_differ_from_the_source():
    world = clean_world()
    key = send_key("email_security", "GLOBEX", "2026-04")
    right = summary_record(GLOBEX, "email_security", "2026-04")
    wrong = records.summary_record(key, ("spam", "bec"), {**right["counts"], "spam": 999})
    created = world.find(key).created
    world.drop(key)
    world.send(key, wrong, created)
    report = audit(world.facts(), scope())
    (found,) = only(report, "counts_mismatch")
    assert f"spam 999 (source {right['counts']['spam']})" in found.message
    assert found.severity == "warning"


def test_an_untagged_ticket_without_a_record_is_unverified_never_guessed():
    world = clean_world()
    key = send_key("billing", "ACME", "2026-02")
    ticket = world.find(key)
    world.tickets[world.tickets.index(ticket)] = replace(ticket, summary_digest=None)
    world.on_demand.notes[ticket.id] = "Trend Micro billing (before records)\n"
    report = audit(world.facts(), scope())
    (found,) = only(report, "unverified")
    assert found.ticket == ticket.id


def test_an_untagged_ticket_whose_note_has_the_right_record_is_fine():
    world = clean_world()
    ticket = world.find(send_key("billing", "ACME", "2026-02"))
    world.tickets[world.tickets.index(ticket)] = replace(ticket, summary_digest=None)
    report = audit(world.facts(), scope())
    assert report.findings == () and world.on_demand.notes_read == [ticket.id]


def test_a_month_the_source_cannot_give_is_unverified():
    world = clean_world()
    world.usage = [u for u in world.usage if u.month != "2026-04"]
    report = audit(world.facts(), scope())
    assert {f.period for f in only(report, "unverified")} == {"2026-04"}
    assert {f.kind for f in report.findings} == {"unverified"}


def test_sent_for_a_period_that_was_not_due():
    world = clean_world()
    early = Clock.of(TZ, SEND_AT).instant(datetime(2026, 12, 1).date())
    # Globex bills on day 31 (November on December 31st): a November ticket on
    # December 1st came 30 days early
    world.move(send_key("billing", "GLOBEX", "2026-11"), early)
    report = audit(world.facts(), scope())
    (found,) = only(report, "sent_not_due")
    assert found.period == "2026-11" and "due 2026-12-31" in found.message


def test_every_planted_fault_at_once():
    """The sandbox history of the issue: a missed month, a hand-edited quantity, a
    duplicate, a send while disabled and a source changed after billing."""
    world = clean_world()
    world.drop(send_key("billing", "ACME", "2026-03"))
    world.additions[0] = replace(world.additions[0], quantity=99)
    first = world.find(send_key("billing", "GLOBEX", "2026-06"))
    world.send(first.key, billing_record(GLOBEX, "2026-06"), first.created, duplicate_of=first.id)
    world.timeline += [policy("b" * 40, datetime(2026, 6, 20, tzinfo=UTC),
                              (ACME, GLOBEX, replace(INITECH, enabled=False))),
                       policy("c" * 40, datetime(2026, 7, 10, tzinfo=UTC), fleet_customers())]
    # June's billing, due July 1st while disabled, went out anyway
    world.move(send_key("billing", "INITECH", "2026-06"), datetime(2026, 7, 1, 11, tzinfo=UTC))
    world.set_usage(GLOBEX.trend_micro_id, "wfbss", "2026-09", 1)
    report = audit(world.facts(), scope())
    assert report.counts_by_kind() == {
        "missed": 1, "settled_duplicate": 1, "quantity_mismatch": 1,
        "addition_changed": 1, "sent_while_disabled": 1}
    assert report.fails("money")


def test_customer_selection_by_slug_or_company():
    world = clean_world()
    world.drop(send_key("billing", "ACME", "2026-03"))
    assert audit(world.facts(), scope(customers=("globex",))).findings == ()
    assert len(audit(world.facts(), scope(customers=("ACME",))).findings) == 1
    assert [c.slug for c in audit(world.facts(), scope(customers=("Acme",))).customers] == [
        "acme"]


@pytest.mark.parametrize("kind", sorted(FINDING_KINDS))
def test_every_finding_kind_has_a_severity_for_both_send_kinds(kind):
    billing, summary, meaning = FINDING_KINDS[kind]
    assert billing in ("money", "warning", "notice") and summary in ("money", "warning", "notice")
    assert meaning


def test_cadences_of_the_known_fleet_match_the_rows():
    """Guards the factory: the rows follow from the schedule, not the other way round."""
    report = audit(clean_world().facts(), scope())
    for c in fleet_customers():
        for cadence in cadences(c.policy):
            rows = [r for r in report.rows if (r.customer, r.send) == (c.slug, cadence.kind)]
            first = Period.parse(rows[0].period)
            assert first.start.year == 2026 and first.frequency == cadence.frequency


def test_billing_turned_off_in_a_policy_change_is_not_missed():
    world = clean_world()
    stop = datetime(2026, 9, 10, tzinfo=UTC)
    world.timeline.append(policy("e" * 40, stop, (ACME, GLOBEX, replace(
        INITECH, policy=Policy(billing=None)))))
    # September's billing falls due on October 1st, after billing was turned off
    for month in range(9, 13):
        world.drop(send_key("billing", "INITECH", f"2026-{month:02d}"))
    world.additions = [a for a in world.additions if a.company != "INITECH"]
    report = audit(world.facts(), scope())
    assert report.findings == ()
    assert [r.period for r in report.rows if (r.customer, r.send) == ("initech", "billing")
            ] == [f"2026-{m:02d}" for m in range(1, 9)]


def test_a_waived_period_is_a_notice_naming_the_waiver_not_a_miss():
    world = clean_world()
    world.drop(send_key("billing", "ACME", "2026-03"))
    waiver = world.send(mark_key(WAIVED, "billing", "ACME", "2026-03"), {"v": 1},
                        datetime(2026, 4, 20, 15, tzinfo=UTC), tag=False)
    report = audit(world.facts(), scope())
    (waived,) = only(report, "waived")
    assert (waived.customer, waived.period, waived.ticket) == ("acme", "2026-03", waiver.id)
    assert waived.severity == "notice" and not report.fails("warning")
    row = next(r for r in report.rows if (r.customer, r.send, r.period)
               == ("acme", "billing", "2026-03"))
    assert (row.status, row.ticket) == ("waived", waiver.id)
    assert report.counts_by_kind() == {"waived": 1}


def test_owed_marks_are_run_dues_bookkeeping_not_sends():
    world = clean_world()
    world.drop(send_key("billing", "ACME", "2026-03"))
    world.send(mark_key(OWED, "billing", "ACME", "2026-03"), {"v": 1},
               datetime(2026, 4, 6, 10, tzinfo=UTC), tag=False)
    assert audit(world.facts(), scope()).counts_by_kind() == {"missed": 1}  # still missed


def test_a_period_other_sends_cover_is_not_missed_and_a_span_is_no_stray_send():
    """After a frequency change run-due sends only the uncovered days, as a span: a week
    whose days a span covers is `covered`, and the span is part of a period, not a send
    for a period that was not due."""
    world = clean_world()
    world.drop(send_key("hosted_email_security", "ACME", "2026-W10"))
    days = Period.parse("2026-W10")
    label = f"{days.start}/{days.end}"
    span = send_key("hosted_email_security", "ACME", label)
    record = records.summary_record(span, ACME.policy.summary("hosted_email_security")
                                    .detections, counts_for("hosted_email_security",
                                                            ACME.trend_micro_id, label))
    world.send(span, record, datetime(2026, 3, 9, 11, 30, tzinfo=UTC))
    report = audit(world.facts(), scope())
    assert report.findings == ()
    statuses = {r.period: r.status for r in report.rows if r.customer == "acme"
                and r.send == "hosted_email_security"}
    assert (statuses["2026-W10"], statuses[label]) == ("covered", "partial")


def test_a_month_billed_by_send_now_is_covered():
    world = clean_world()
    world.drop(send_key("billing", "INITECH", "2026-05"))
    now = datetime(2026, 6, 2, 15, 4, tzinfo=UTC)  # in June: bills May, the latest complete
    world.send(now_key("INITECH", now), billing_record(INITECH, "2026-05"), now)
    report = audit(world.facts(), scope())
    assert "missed" not in report.counts_by_kind()
    row = next(r for r in report.rows if (r.customer, r.send, r.period)
               == ("initech", "billing", "2026-05"))
    assert row.status == "covered"
