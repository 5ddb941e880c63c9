"""Idempotency keys: one canonical form, prefixes that cover exactly a company's keys."""

from datetime import UTC, datetime

from reconciler.domain.fold import fold
from reconciler.domain.keys import (
    MARK_PREFIXES,
    OWED,
    WAIVED,
    billing_prefixes,
    kind_prefix,
    mark_key,
    now_key,
    parse_key,
    send_key,
)


def test_scheduled_and_send_now_keys_parse_back():
    key = send_key("hosted_email_security", "ACME", "2026-W47")
    assert key == "tmrm:hes:ACME:2026-W47"
    parsed = parse_key(key)
    assert (parsed.kind, parsed.company, parsed.label) == ("hosted_email_security", "ACME",
                                                          "2026-W47")
    now = now_key("ACME", datetime(2026, 11, 25, 18, 7, 42, tzinfo=UTC))
    assert now == "tmrm:billing-now:ACME:2026-11-25T18:07Z"
    assert parse_key(now).label == "2026-11-25T18:07Z" and parse_key(now).kind is None
    assert parse_key("someone else's reference") is None


def test_prefixes_cover_a_companys_keys_and_nobody_elses():
    assert send_key("billing", "ACME", "2026-11").startswith(kind_prefix("billing", "ACME"))
    scheduled, sent_now = billing_prefixes("ACME")
    assert send_key("billing", "ACME", "2026-11").startswith(scheduled)
    assert now_key("ACME", datetime(2026, 11, 25, tzinfo=UTC)).startswith(sent_now)
    assert not send_key("billing", "ACMECO", "2026-11").startswith(scheduled)
    assert not send_key("email_security", "ACME", "2026-11-24").startswith(scheduled)


def test_fold_ignores_case_and_surrounding_spaces():
    assert fold(" Acme ") == fold("ACME") == "acme"
    assert fold(None) == fold("") == ""


def test_marks_name_the_kind_and_period_they_mark_and_share_a_prefix():
    owed = mark_key(OWED, "hosted_email_security", "ACME", "2026-W40")
    waived = mark_key(WAIVED, "billing", "ACME", "2026-10")
    assert (owed, waived) == ("tmrm:owed-hes:ACME:2026-W40", "tmrm:waived-billing:ACME:2026-10")
    assert [(p.mark, p.kind, p.company, p.label) for p in map(parse_key, (owed, waived))] == [
        (OWED, "hosted_email_security", "ACME", "2026-W40"),
        (WAIVED, "billing", "ACME", "2026-10")]
    assert all(any(k.startswith(p) for p in MARK_PREFIXES) for k in (owed, waived))
    assert parse_key(send_key("billing", "ACME", "2026-10")).mark is None
    assert parse_key(now_key("ACME", datetime(2026, 11, 25, tzinfo=UTC))).mark is None
    assert not owed.startswith(kind_prefix("hosted_email_security", "ACME"))  # not a send
