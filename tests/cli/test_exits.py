"""The one mapping from outcomes and escaping exceptions to exit codes and lines."""

from reconciler.cli import exits
from reconciler.connectwise import TransportFailed
from reconciler.sends.model import RunReport, SendResult


def test_errors_the_user_can_act_on_exit_1_with_one_line():
    error = TransportFailed(None, "ConnectError", "refused", (), "GET", "/service/tickets")
    assert exits.expected(error) and exits.for_error(error) == 1
    assert exits.error_line(error).startswith("error: ")


def test_a_bug_is_an_internal_error_and_an_interrupt_is_130():
    bug = KeyError("x")
    assert not exits.expected(bug) and exits.for_error(bug) == 1
    assert exits.error_line(bug).startswith("internal error: KeyError:")
    assert exits.for_error(KeyboardInterrupt()) == 130
    assert exits.error_line(KeyboardInterrupt()) == "interrupted"


def test_a_run_exits_1_when_anything_failed_was_held_or_missed():
    def report(*outcomes):
        return RunReport(tuple(SendResult("a", "A", "billing", "2026-11", "k", o)
                               for o in outcomes))
    assert exits.for_report(report()) == 0
    assert exits.for_report(report("sent", "already_sent", "skipped")) == 0
    for bad in ("failed", "held", "missed"):
        assert exits.for_report(report("sent", bad)) == 1
