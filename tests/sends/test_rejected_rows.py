"""Customer files that did not load: one failed `config` row each, nothing sent."""

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.model import RejectedCustomer
from reconciler.sends.model import RunReport, rejected_results


def test_one_failed_row_per_file_with_its_first_error_and_a_count_of_the_rest():
    bad = RejectedCustomer("acme", "customers/acme.yaml", "ACME", (
        Diagnostic("customers/acme.yaml", 16, 10, "custom.billing.day is 32"),
        Diagnostic("customers/acme.yaml", 2, 3, "just a warning", "warning"),
        Diagnostic("customers/acme.yaml", 20, 5, "unknown detection 'spma'"),
    ))
    unreadable = RejectedCustomer("x", "customers/x.yaml", None,
                                  (Diagnostic("customers/x.yaml", 0, 0, "not a regular file"),))

    rows = rejected_results([bad, unreadable])

    assert [(r.customer, r.company, r.kind, r.period, r.key, r.outcome) for r in rows] == [
        ("acme", "ACME", "config", "", "", "failed"),
        ("x", "", "config", "", "", "failed"),
    ]
    assert rows[0].detail == ("customers/acme.yaml:16:10: custom.billing.day is 32 (and 1 more; "
                              "run `reconciler validate`); nothing was sent for this customer")
    assert rows[1].detail.startswith("customers/x.yaml: not a regular file;")
    assert not RunReport(tuple(rows)).ok  # run-due exits 1
