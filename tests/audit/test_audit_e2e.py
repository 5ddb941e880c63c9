"""The audit end to end: a history built by really running the product, then audited.

The example fleet lands on main on 2026-10-30; `apply` sets it up in the sandbox,
`run-due` runs half an hour later (as the hourly workflow would) and then every morning
from 2026-10-31 to 2026-12-31 (the sandbox's clock in step, so each ticket is entered
when its run happened). Along the way and after it,
the faults an auditor looks for are made as they happen in real life:
- a missed month: Initech's rows are missing from October's usage file, so its October
  billing fails on every run and is never sent;
- a send while the policy had it off: a commit disables Vandelay for a day, and a runner
  with a stale checkout sends its daily summary anyway;
- a hand-edited quantity: someone sets Hooli's Cloud App Security addition by hand after
  its last billing;
- a duplicate: a second ticket with the key of Stark's November billing (a racing run
  that was never settled);
- a source that changed after billing: Acme's November usage row is corrected upwards
  after Acme was billed from it.
The audit of October and November finds each one, naming the ticket, addition, commit and
source row it comes from, and nothing else; the customers the faults did not touch have
a clean history: no finding, exit 0. All of it runs twice: with the sandbox in process,
and served on 127.0.0.1 (real HTTP).
"""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.connectwise.records import NewTicket
from reconciler.domain.keys import send_key
from reconciler.runtime import open_runtime
from reconciler.sandbox import create_app, serve, transport
from tests.review.conftest import PROJECT, new_fleet_repo

NEW_YORK = ZoneInfo("America/New_York")
LANDED = "2026-10-30T12:00:00+00:00"
FIRST_RUN = datetime(2026, 10, 31, 6, 30, tzinfo=NEW_YORK)
LAST_RUN = datetime(2026, 12, 31, 6, 30, tzinfo=NEW_YORK)
AUDIT_AT = "2027-01-02T12:00:00-05:00"
DISABLED = ("2026-11-20T12:00:00+00:00", "2026-11-21T12:00:00+00:00")  # Vandelay off
STALE_RUN = datetime(2026, 11, 21, 6, 30, tzinfo=NEW_YORK)  # a checkout from before it
INITECH = "9a3e1f7b-5c2d-4a8e-91f6-3c0b8d2e7a03"
ACME = "6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01"
FAULTY = {"initech", "vandelay", "hooli", "stark", "acme"}
SANDBOX_ENV = {"CW_COMPANY_ID": "sandbox", "CW_PUBLIC_KEY": "sandbox-public",
               "CW_PRIVATE_KEY": "sandbox-private",
               "CW_CLIENT_ID": "7c1f9f5e-0d6b-4a8e-9d8a-5a3f2c1b0e42"}


class History:
    """The fleet's repository, the sandbox on a clock the test moves, and the CLI."""

    def __init__(self, tmp: Path, url: str | None = None):
        """In process, or (`url`: where the app is served) over HTTP on 127.0.0.1."""
        self.repo = new_fleet_repo(tmp)
        shutil.copytree(PROJECT / "data", self.repo.root / "data")  # not in git: data
        if url is not None:
            self.repo.replace("reconciler.yaml", "url: sandbox ", f"url: {url} ")
        self.repo.git("add", "-A", "reconciler.yaml")
        self.repo.git("commit", "-q", "--amend", "--no-edit", at=LANDED)
        self.now = datetime.fromisoformat(LANDED)
        self.app = create_app(clock=lambda: self.now)
        options = {"client_options": {"rate_limit_per_minute": None}}
        if url is None:
            options["cw_transport"] = transport(self.app)
        self.factory = functools.partial(open_runtime, env=SANDBOX_ENV, **options)

    def run(self, *args: str):
        return CliRunner().invoke(cli, ["--root", str(self.repo.root), *args],
                                  obj={"open_runtime": self.factory})

    def run_due(self, at: datetime) -> dict:
        self.now = at
        result = self.run("run-due", "--at", at.isoformat(), "--format", "json")
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.output)

    def audit(self, *args: str) -> tuple[int, dict]:
        self.now = datetime.fromisoformat(AUDIT_AT)
        result = self.run("audit", "--from", "2026-10", "--to", "2026-11", "--at", AUDIT_AT,
                          "--format", "json", *args)
        assert result.exit_code in (0, 1), result.output
        return result.exit_code, json.loads(result.output)

    def edit_usage(self, month: str, edit) -> None:
        path = self.repo.root / "data" / "usage" / f"{month}.csv"
        path.write_text("".join(edit(line) for line in path.read_text().splitlines(True)))


@pytest.fixture(scope="module", params=["in process", "over HTTP"])
def history(request, tmp_path_factory):
    with contextlib.ExitStack() as stack:
        url = None
        if request.param == "over HTTP":
            app = create_app(clock=lambda: h.now)
            url = stack.enter_context(serve(app))
        h = History(tmp_path_factory.mktemp("audit-e2e"), url)
        if url is not None:
            h.app = app  # the served one
        _replay(h)
        yield h


def _replay(h: History) -> None:
    assert h.run("apply", "--yes").exit_code == 0
    # the missed month: Initech's October rows are not in the file when it is billed
    h.edit_usage("2026-10", lambda line: "" if line.startswith(INITECH) else line)
    h.run_due(datetime.fromisoformat(LANDED) + timedelta(minutes=30))
    day = FIRST_RUN
    while day <= LAST_RUN:
        if day == STALE_RUN:
            _send_while_disabled(h)
        else:
            h.run_due(day)
        day += timedelta(days=1)


def _send_while_disabled(h: History) -> None:
    """Vandelay is disabled on main for a day; a runner with the checkout from before sends
    its daily summary anyway."""
    h.repo.replace("customers/vandelay.yaml", "integration: enabled", "integration: disabled")
    h.repo.commit("Vandelay: integration off while its contract is renewed", at=DISABLED[0])
    h.repo.replace("customers/vandelay.yaml", "integration: disabled", "integration: enabled")
    h.run_due(STALE_RUN)  # the working tree is the stale checkout
    h.repo.commit("Vandelay: renewed, integration on", at=DISABLED[1])


def _by_customer(data: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for finding in data["findings"]:
        out.setdefault(finding["customer"], []).append(finding)
    return out


def test_a_clean_history_reports_nothing(history):
    clean = sorted({c["customer"] for c in history.audit()[1]["customers"]} - FAULTY)
    assert clean  # globex, soylent (disabled), umbrella, wayne
    status, data = history.audit("--fail-on", "any", *(a for c in clean
                                                        for a in ("--customer", c)))
    assert (status, data["findings"]) == (0, [])
    assert data["counts"]["rows"] > 0
    assert {r["status"] for r in data["rows"]} <= {"on_time"}


def test_every_fault_is_found_and_named(history):
    h = history
    # after the last run: a hand edit, a racing duplicate, a corrected usage row
    with open_runtime(h.repo.root, env=SANDBOX_ENV, cw_transport=transport(h.app)) as rt:
        agreements = rt.gateway.agreements_of_identifiers(["HOOLI"]).records
        cas = next(x for x in rt.gateway.additions([a.id for a in agreements if a.active])
                   .records if x.product == "TM-CAS" and x.cancelled_date is None)
        rt.gateway.set_quantity(cas.agreement_id, cas.id, (cas.quantity or 0) + 7)
        key = send_key("billing", "STARK", "2026-11")
        (winner,) = rt.gateway.tickets(keys=[key]).records
        board = next(b for b in rt.gateway.boards() if b.name == "Trend Micro Billing")
        duplicate = rt.gateway.create_ticket(NewTicket(
            key, winner.summary, "STARK", "raced", board.id,
            rt.gateway.board_statuses(board.id)[0].id, rt.gateway.priorities()[0].id))
    h.edit_usage("2026-11", lambda line: line.replace("seats,45,42", "seats,48,45", 1)
                 if line.startswith(ACME) else line)

    status, data = h.audit()
    assert status == 1  # findings about money
    found = _by_customer(data)
    assert set(found) == FAULTY  # and nobody else
    kinds = {c: sorted(f["kind"] for f in fs) for c, fs in found.items()}
    assert kinds == {
        "initech": ["missed"],
        "vandelay": ["sent_while_disabled"],
        "hooli": ["addition_changed"],
        "stark": ["unsettled_duplicate"],
        "acme": ["quantity_mismatch"],
    }
    timeline = h.repo.git("log", "--format=%H %s").splitlines()
    commits = {subject: commit for commit, subject in (line.split(" ", 1) for line in timeline)}

    (missed,) = found["initech"]
    assert (missed["send"], missed["period"]) == ("billing", "2026-10")
    assert missed["commit"] == commits["Example fleet"]  # the policy that made it due

    (off,) = found["vandelay"]
    assert off["send"] == "hosted_email_security" and off["period"] == "2026-11-20"
    assert off["commit"] == commits["Vandelay: integration off while its contract is renewed"]
    assert off["ticket"] is not None and "integration was disabled" in off["message"]

    (edited,) = found["hooli"]
    assert (edited["addition"], edited["period"]) == (cas.id, "2026-11")
    assert f"quantity {cas.quantity + 7:g}" in edited["message"]
    assert edited["ticket"] is not None  # the billing it should still hold

    (raced,) = found["stark"]
    assert raced["ticket"] == duplicate.id and f"#{winner.id}" in raced["message"]

    (changed,) = found["acme"]
    assert (changed["period"], changed["ticket"]) == ("2026-11", _ticket(data, "acme",
                                                                         "2026-11"))
    assert changed["source"].startswith("data/usage/2026-11.csv:")
    assert "billed 42 wfbss; the source reports 45" in changed["message"]


def _ticket(data: dict, customer: str, period: str) -> int:
    return next(r["ticket"] for r in data["rows"]
                if (r["customer"], r["send"], r["period"]) == (customer, "billing", period))


def test_a_waived_month_is_a_decision_not_a_miss(history):
    """`reconciler waive` records that Initech's October is not to be billed: the audit
    reads the waiver and reports it (a notice naming its ticket) instead of a miss.
    (Runs last: the test above expects the miss.)"""
    history.now = datetime(2027, 1, 2, 9, tzinfo=UTC)
    result = history.run("waive", "billing", "--customer", "initech", "--period", "2026-10",
                         "--reason", "usage lost; credited on the November invoice")
    assert result.exit_code == 0, result.output
    _, data = history.audit("--customer", "initech")
    (waived,) = data["findings"]
    assert (waived["kind"], waived["period"], waived["severity"]) == ("waived", "2026-10",
                                                                      "notice")
    assert f"#{waived['ticket']}" in result.output
