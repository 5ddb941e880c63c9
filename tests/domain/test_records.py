"""Records of contract 1: canonical JSON, digests, the record line and the summary tag."""

from __future__ import annotations

import hashlib

import pytest

from reconciler.domain import records
from reconciler.domain.records import SUMMARY_MAX

KEY = "tmrm:billing:ACME:2026-11"


def test_canonical_form_is_exactly_the_contracts():
    record = records.billing_record(KEY, {"wfbss": 42.0, "apex-one": 38})
    text = records.canonical(record)
    assert text == ('{"key":"tmrm:billing:ACME:2026-11","units":{"apex-one":38,"wfbss":42},'
                    '"v":1}')
    assert records.digest(record) == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert records.record_line(record) == "reconciler-record: " + text


def test_a_summary_record_lists_every_selected_detection():
    record = records.summary_record("tmrm:hes:ACME:2026-W47", ("spam", "phishing", "bec"),
                                    {"spam": 10, "phishing": 3, "virus": 9})
    assert record["counts"] == {"spam": 10, "phishing": 3, "bec": 0}


def test_same_units_same_digest_whatever_the_order_or_number_type():
    a = records.billing_record(KEY, {"wfbss": 42, "apex-one": 38.0})
    b = records.billing_record(KEY, {"apex-one": 38, "wfbss": 42.0})
    assert records.digest(a) == records.digest(b)
    assert records.digest(a) != records.digest(records.billing_record(KEY, {"wfbss": 43,
                                                                            "apex-one": 38}))


def test_the_tag_survives_a_long_summary_and_reads_back():
    record = records.billing_record(KEY, {"wfbss": 1})
    summary = records.tagged_summary("Trend Micro billing 2026-11: " + "A" * 200, record)
    assert len(summary) == SUMMARY_MAX
    assert summary.endswith(f" [r:{records.digest(record)}]")
    assert records.summary_digest(summary) == records.digest(record)
    assert records.summary_digest("Trend Micro billing 2026-11: Acme") is None
    assert records.summary_digest(None) is None


def test_the_note_parses_back_to_the_record():
    record = records.billing_record(KEY, {"wfbss": 42, "apex-one": 38})
    note = f"Trend Micro billing\n\nProduct  Units\n...\n{records.record_line(record)}\n"
    assert records.parse_record(note) == record


@pytest.mark.parametrize("note", [
    None,
    "",
    "no record here",
    "reconciler-record: {not json",
    'reconciler-record: {"v":2,"key":"k","units":{}}',
    'reconciler-record: {"v":1,"units":{"a":1}}',
    'reconciler-record: {"v":1,"key":"k","units":{"a":-1}}',
    'reconciler-record: {"v":1,"key":"k","units":{"a":true}}',
    'reconciler-record: {"v":1,"key":"k","units":{"a":"3"}}',
    'reconciler-record: {"v":1,"key":"k"}',
    "reconciler-record: [1, 2]",
    "reconciler-record: " + "[" * 5000,
])
def test_anything_else_is_unknown_never_a_guess(note):
    assert records.parse_record(note) is None
