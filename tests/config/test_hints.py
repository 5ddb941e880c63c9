"""Did-you-mean suggestions."""

from reconciler.config.hints import closest, did_you_mean


def test_case_only_difference_wins() -> None:
    assert closest("wfbss", ["WFBSS", "hes"]) == "WFBSS"


def test_close_spelling() -> None:
    assert closest("phising", ["spam", "phishing"]) == "phishing"
    assert closest("zzz", ["spam", "phishing"]) is None


def test_phrases() -> None:
    assert did_you_mean("hse", ["hes", "cas"]) == " (did you mean 'hes'?)"
    assert did_you_mean("zzz", ["hes", "cas"]) == ""
    assert did_you_mean("zzz", ["hes", "cas"], list_all=True) == " (known: hes, cas)"
    assert did_you_mean("x", []) == ""
