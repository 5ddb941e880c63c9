"""gather over a real git repository of the example fleet and its data files, and the
`reconciler audit` command end to end, with ConnectWise played by a fake of the reads
seam, and once over the sandbox through the gateway."""

from __future__ import annotations

import csv
import functools
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.audit import gather as gather_module
from reconciler.audit.facts import AdditionFact, AuditScope, SentTicket
from reconciler.audit.gather import COMPANY_PREFIXES, gather, key_prefixes
from reconciler.audit.model import Requests
from reconciler.cli import cli
from reconciler.config import load_fleet
from reconciler.config.model import frozen_map
from reconciler.domain import records
from reconciler.domain.keys import send_key
from reconciler.runtime import open_runtime
from reconciler.sandbox import create_app, transport
from reconciler.schedule import Clock, cadences
from reconciler.sources import open_sources
from tests.fakes.gateway import FakeGateway
from tests.review.conftest import PROJECT, GitRepo, copy_fleet, new_fleet_repo

# a day past the grace after November's billing fell due (December 31st: billing on day X
# bills the month before)
AT = "2027-01-02T12:00:00-05:00"
NOVEMBER = (datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date())


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """The example fleet committed 2026-11-01 09:00 UTC, with its data files beside it."""
    r = new_fleet_repo(tmp_path)
    shutil.copytree(PROJECT / "data", r.root / "data")
    return r


class FakeConnectWise:
    """The audit's reads seam over lists, remembering what was asked."""

    def __init__(self, tickets=(), additions=(), notes=None):
        self.tickets = list(tickets)
        self.adds = list(additions)
        self.notes = dict(notes or {})
        self.prefixes: list[str] = []
        self.notes_read: list[int] = []

    def tickets_by_key_prefix(self, prefixes):
        self.prefixes += prefixes
        return [t for t in self.tickets if any(t.key.startswith(p) for p in prefixes)]

    def tickets_of_companies(self, companies, prefixes):
        self.prefixes += [f"{c}/{p}" for c in companies for p in prefixes]
        return [t for t in self.tickets if any(t.key.startswith(p) for p in prefixes)
                and any(f":{c}:".casefold() in t.key.casefold() for c in companies)]

    def additions(self, companies, catalog_items):
        return [a for a in self.adds if a.company in companies
                and a.catalog_item in catalog_items]

    def ticket_note(self, ticket_id):
        self.notes_read.append(ticket_id)
        return self.notes.get(ticket_id)

    def cost(self):
        return Requests(7, frozen_map({"tickets": 1, "notes": len(self.notes_read)}))


def acme_november(root: Path) -> FakeConnectWise:
    """Every send Acme's policy made due for November, an hour after it was due, with
    the records the example data gives; its additions hold November's units."""
    fleet = load_fleet(root)
    acme = next(c for c in fleet.customers if c.slug == "acme")
    usage, detections = open_sources(fleet)
    clock = Clock.of(fleet.settings.timezone, fleet.settings.send_at)
    at = datetime.fromisoformat(AT)
    tickets, notes, next_id = [], {}, 100
    units = {p: usage.usage(2026, 11).chargeable(acme.trend_micro_id, p)
             for p in acme.billed_products}
    for cadence in cadences(acme.policy):
        for period in cadence.due_between(datetime(2026, 11, 1, 9, tzinfo=UTC), at, clock):
            if period.start.month != 11:
                continue
            key = send_key(cadence.kind, acme.company, period.label)
            if cadence.kind == "billing":
                record = records.billing_record(key, units)
            else:
                counts = detections.counts(cadence.kind, acme.trend_micro_id, period.start,
                                           period.end)
                record = records.summary_record(key, acme.policy.summary(cadence.kind)
                                                .detections, counts)
            next_id += 1
            tickets.append(SentTicket(next_id, key, cadence.due(period, clock) +
                                      timedelta(hours=1), records.digest(record)))
            notes[next_id] = records.record_line(record)
    additions = [AdditionFact(7 + i, "ACME", "", fleet.settings.products[p].catalog_item,
                              units[p], "Managed Service / ACME (id 3)")
                 for i, p in enumerate(acme.billed_products)]
    return FakeConnectWise(tickets, additions, notes)


def test_gather_reads_git_sources_and_connectwise_in_bulk(repo):
    fake = acme_november(repo.root)
    fleet = load_fleet(repo.root)
    usage, detections = open_sources(fleet)
    scope = AuditScope(*NOVEMBER, datetime.fromisoformat(AT), ("acme",))
    facts = gather(repo.root, scope, connectwise=fake, usage=usage, detections=detections)
    (entry,) = facts.timeline
    assert entry.commit == repo.git("rev-parse", "HEAD")
    assert entry.since == datetime(2026, 11, 1, 9, tzinfo=UTC)
    assert entry.customer("acme").slug == "acme"  # companies fold case
    # billings and waivers by company, summaries by key prefix
    assert fake.prefixes == ["ACME/tmrm:billing", "ACME/tmrm:waived-",
                             *key_prefixes(["ACME"], *NOVEMBER)]
    assert "tmrm:hes:ACME:2026-" in fake.prefixes
    assert {(u.product, u.units) for u in facts.usage} == {("wfbss", 42), ("apex-one", 38)}
    assert {a.product for a in facts.additions} == {"wfbss", "apex-one"}  # from catalog
    assert facts.changes[0].sentences[0] == "customer added"
    assert fake.notes_read == []  # nothing read on demand during gather


def _run(repo, fake, monkeypatch, *args):
    monkeypatch.setattr(gather_module, "open_connectwise_reads", lambda fleet: fake)
    return CliRunner().invoke(cli, ["--root", str(repo.root), "audit", "--at", AT,
                                    "--from", "2026-11", "--to", "2026-11", *args])


def test_a_clean_month_exits_0_reading_no_note(repo, monkeypatch):
    fake = acme_november(repo.root)
    result = _run(repo, fake, monkeypatch, "--customer", "acme", "--fail-on", "any")
    assert result.exit_code == 0, result.output
    assert "No findings." in result.output
    # November's billing, five weekly summaries (W45 to W49, which starts on Nov 30) and
    # November's monthly summary
    assert "acme (Acme Corporation, ConnectWise ACME): 7 periods: 7 on time" in result.output
    assert fake.notes_read == []


def test_findings_about_money_exit_1_and_every_format_renders(repo, monkeypatch, tmp_path):
    fake = acme_november(repo.root)
    fake.tickets = [t for t in fake.tickets if t.key != "tmrm:billing:ACME:2026-11"]
    result = _run(repo, fake, monkeypatch, "--customer", "ACME", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["format_version"] == 1 and data["counts"]["by_kind"] == {"missed": 1}
    for fmt in ("text", "markdown", "csv", "html"):
        out = tmp_path / f"audit.{fmt}"
        result = _run(repo, fake, monkeypatch, "--customer", "acme", "--format", fmt,
                      "--out", str(out))
        assert result.exit_code == 1, result.output
        assert out.stat().st_size > 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "audit.csv").read_text())))
    assert [r["status"] for r in rows if r["send"] == "billing"] == ["missed"]


def test_fail_on_levels(repo, monkeypatch):
    fake = acme_november(repo.root)
    late = next(t for t in fake.tickets if t.key.startswith("tmrm:hes:"))
    fake.tickets[fake.tickets.index(late)] = SentTicket(
        late.id, late.key, late.created + timedelta(days=2), late.summary_digest)
    assert _run(repo, fake, monkeypatch, "--customer", "acme").exit_code == 0
    assert _run(repo, fake, monkeypatch, "--customer", "acme",
                "--fail-on", "warning").exit_code == 0
    assert _run(repo, fake, monkeypatch, "--customer", "acme", "--fail-on", "any").exit_code == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-13"], "is not a month YYYY-MM"),
    (["--to", "2026-W47"], "is not a month YYYY-MM"),
    (["--from", "2026-12", "--to", "2026-11"], "is after --to"),
    (["--at", ""], "is not an ISO 8601 date-time"),
    (["--customer", "nobody"], "no customer nobody in the git history"),
    (["--customer", "acme", "--customer", "ghost"], "no customer ghost in the git history"),
])
def test_bad_options_are_clear_errors(repo, monkeypatch, args, message):
    fake = acme_november(repo.root)
    monkeypatch.setattr(gather_module, "open_connectwise_reads", lambda fleet: fake)
    result = CliRunner().invoke(cli, ["--root", str(repo.root), "audit", "--at", AT, *args])
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert "Traceback" not in result.output and fake.notes_read == []


def test_an_unwritable_out_is_a_clear_error(repo, monkeypatch, tmp_path):
    fake = acme_november(repo.root)
    result = _run(repo, fake, monkeypatch, "--out", str(tmp_path / "missing" / "a.html"))
    assert result.exit_code == 1 and "cannot write" in result.output


def test_the_audit_reads_what_run_due_sent_through_the_gateway(repo):
    """End to end over the sandbox in process: Acme's November sent by run-due at each due
    time (the sandbox's clock in step, so tickets are entered then), then audited."""
    shutil.copytree(PROJECT / "data", repo.root / "data", dirs_exist_ok=True)
    now = {"at": datetime(2026, 11, 1, 10, tzinfo=UTC)}
    app = create_app(clock=lambda: now["at"])
    factory = functools.partial(open_runtime, cw_transport=transport(app),
                                client_options={"rate_limit_per_minute": None})

    def run(*args: str):
        return CliRunner().invoke(cli, ["--root", str(repo.root), *args],
                                  obj={"open_runtime": factory})

    assert run("apply", "--yes").exit_code == 0
    fleet = load_fleet(repo.root)
    acme = next(c for c in fleet.customers if c.slug == "acme")
    clock = Clock.of(fleet.settings.timezone, fleet.settings.send_at)
    at = datetime.fromisoformat(AT)
    dues = sorted({cadence.due(period, clock) for cadence in cadences(acme.policy)
                   for period in cadence.due_between(now["at"], at, clock)})
    sent = set()
    for due in dues:
        now["at"] = due + timedelta(minutes=1)
        result = run("run-due", "--at", now["at"].isoformat(), "--customer", "acme",
                     "--format", "json")
        assert result.exit_code == 0, result.output
        sent |= {r["detail"].rsplit("#", 1)[1] for r in json.loads(result.output)["results"]
                 if r["outcome"] == "sent"}
    now["at"] = at
    result = run("audit", "--at", AT, "--customer", "acme", "--from", "2026-11", "--to",
                 "2026-11", "--format", "json")
    assert result.exit_code == 0, result.output  # nothing about money
    data = json.loads(result.output)
    rows = data["rows"]
    assert len(rows) == 7 and {r["status"] for r in rows} == {"on_time"}
    assert {r["ticket"] for r in rows} <= {int(i) for i in sent}  # what run-due sent
    # run-due's tickets carry their records (contract 1): units and counts check out,
    # with no note read (every digest matches)
    assert data["findings"] == []
    # one customer's reads: discovery, its agreements, one listing per active agreement,
    # and two ticket reads (billings and waivers by company, summaries by key prefix)
    # for one page of tickets: one request over the minimum, counted read by read
    with app.store.session() as state:
        agreements = [a for a in state.records("agreements")
                      if a["company"]["identifier"] == "ACME"
                      and a["agreementStatus"] == "Active" and not a.get("cancelledFlag")]
    minimum = 3 + len(agreements)
    assert data["requests"] == {
        "made": minimum + 1, "minimum": minimum,
        "minimum_by_read": {"discovery": 1, "tickets": 1, "agreements": 1,
                            "additions": len(agreements)}}
    text = run("audit", "--at", AT, "--customer", "acme", "--from", "2026-11", "--to",
               "2026-11").output
    assert text.rstrip().endswith(f"{minimum + 1} requests to ConnectWise; minimum "
                                  f"{minimum} (1 discovery, 1 ticket pages, 1 agreement "
                                  f"pages, {len(agreements)} addition lists): "
                                  f"{(minimum + 1) / minimum:.2f}x.")


def test_outside_git_the_audit_says_it_needs_the_history(tmp_path, monkeypatch):
    root = tmp_path / "plain"
    root.mkdir()
    copy_fleet(root)
    monkeypatch.setattr(gather_module, "open_connectwise_reads",
                        lambda fleet: FakeConnectWise())
    result = CliRunner().invoke(cli, ["--root", str(root), "audit", "--at", AT])
    assert result.exit_code == 1 and "not inside a git repository" in result.output


def test_key_prefixes_cover_every_summary_label_form_of_periods_starting_in_range():
    prefixes = key_prefixes(["ACME"], *NOVEMBER)
    for key in ("tmrm:hes:ACME:2026-W47", "tmrm:tmems:ACME:2026-11-24",
                "tmrm:tmems:ACME:2026-11", "tmrm:hes:ACME:2026-11-02/2026-11-08"):
        assert any(key.startswith(p) for p in prefixes), key
    for key in ("tmrm:hes:ACME:2019-01", "tmrm:hes:ACME:2025-W47", "tmrm:hes:ACME:2027-W01",
                "tmrm:billing:ACME:2026-11"):  # billings are read by company
        assert not any(key.startswith(p) for p in prefixes), key
    assert len(prefixes) == 2  # one year of each summary kind
    # a range ending on 29-31 December: the week starting then is the next ISO year's W01
    december = key_prefixes(["ACME"], datetime(2025, 12, 1).date(), datetime(2026, 12, 31).date())
    for key in ("tmrm:hes:ACME:2025-W49", "tmrm:hes:ACME:2026-W52", "tmrm:hes:ACME:2026-12-31",
                "tmrm:hes:ACME:2027-W01"):
        assert any(key.startswith(p) for p in december), key
    assert not any("tmrm:hes:ACME:2027-W02".startswith(p) for p in december)
    assert not any("tmrm:hes:ACME:2027-01-01".startswith(p) for p in december)
    for key in ("tmrm:billing:ACME:2019-01", "tmrm:billing-now:ACME:2026-11-25T18:57Z",
                "tmrm:waived-billing:ACME:2026-10", "tmrm:waived-hes:ACME:2026-W44"):
        assert any(key.startswith(p) for p in COMPANY_PREFIXES), key


def test_the_gateway_reads_tell_the_audit_which_tickets_are_settled_duplicates():
    fake = FakeGateway()
    key = send_key("billing", "ACME", "2026-11")
    entered = "2026-12-01T11:31:00Z"
    fake.add_ticket(1, key, summary="Trend Micro billing", entered=entered)
    fake.add_ticket(2, key, summary="[duplicate of #1] Trend Micro billing", entered=entered,
                    duplicate_of=1, closed=True)
    found = gather_module.GatewayReads(fake).tickets_by_key_prefix(["tmrm:billing:ACME:"])
    assert [(t.id, t.duplicate_of) for t in found] == [(1, None), (2, 1)]


def test_usage_of_a_source_that_names_customers_is_read_by_id():
    """LMPI's report names customers: the audit finds a customer's rows through the
    source's resolution, and leaves out (as missing) what cannot be resolved."""
    from datetime import date

    from reconciler.audit.gather import read_usage
    from reconciler.sources import MonthUsage, SourceError, UsageLine

    names = {"id-acme": "Acme Corporation"}

    def resolve(customer_id: str) -> str:
        if customer_id not in names:
            raise SourceError(f"LMPI has no customer with id {customer_id}")
        return names[customer_id]

    class Named:
        description = "LMPI"

        def usage(self, year, month):
            line = UsageLine("Acme Corporation", "wfbss", "Full", "Seats", 40, 35, "LMPI row 1")
            return MonthUsage(year, month, (line,), source="LMPI", resolve=resolve)

    facts, errors = read_usage(Named(), {"id-acme", "id-unknown"}, date(2026, 11, 1),
                               date(2026, 11, 30))
    assert [(f.customer_id, f.product, f.month, f.units) for f in facts] == [
        ("id-acme", "wfbss", "2026-11", 35)]
    assert errors == {}


def test_the_gateway_reads_count_the_fewest_requests_they_needed():
    """1,001 tickets take two pages; additions cost one listing per active agreement (the
    cancelled one is not read); a note read costs one; a fake has no discovery to make."""
    fake = FakeGateway()
    acme = fake.add_company(1, "ACME")
    active = [fake.add_agreement(10 + i, acme, "Managed Service", f"A{i}") for i in range(2)]
    fake.add_agreement(20, acme, "Managed Service", "Old", cancelled=True)
    fake.add_addition(30, active[0], "TM-WFBSS", quantity=3)
    for i in range(1001):
        key = send_key("hosted_email_security", "ACME", f"2026-11-{i % 28 + 1:02d}")
        fake.add_ticket(100 + i, key, entered="2026-12-01T11:31:00Z")
    reads = gather_module.GatewayReads(fake)
    assert len(reads.tickets_by_key_prefix(["tmrm:hes:ACME:2026-"])) == 1001
    assert [a.id for a in reads.additions(["ACME"], ["TM-WFBSS"])] == [30]
    reads.ticket_note(100)
    cost = reads.cost()
    assert dict(cost.parts) == {"tickets": 2, "agreements": 1, "additions": 2, "notes": 1}
    assert cost.made == fake.request_count  # every call the reads made


def test_one_audit_writes_every_format_its_files_name(repo, monkeypatch, tmp_path):
    fake = acme_november(repo.root)
    outs = [tmp_path / n for n in ("audit.html", "audit.json", "audit.md", "audit.data")]
    result = _run(repo, fake, monkeypatch, "--customer", "acme",
                  *(a for out in outs for a in ("--out", str(out))))
    assert result.exit_code == 0, result.output
    assert fake.prefixes == ["ACME/tmrm:billing", "ACME/tmrm:waived-",
                             *key_prefixes(["ACME"], *NOVEMBER)]  # read once for all four
    html, data, md, other = (out.read_text() for out in outs)
    assert html.startswith("<!doctype html>") and md.startswith("## reconciler audit")
    assert json.loads(data)["format_version"] == 1
    assert other.startswith("Audit 2026-11 to 2026-11")  # no known suffix: --format (text)
    assert "audit written to" in result.output and "No findings" not in result.output


def test_a_suffix_that_contradicts_the_format_is_refused_before_reading(repo, monkeypatch,
                                                                        tmp_path):
    fake = acme_november(repo.root)
    result = _run(repo, fake, monkeypatch, "--format", "json", "--out",
                  str(tmp_path / "audit.html"))
    assert result.exit_code == 2 and "names html by its suffix, but --format is json" \
        in result.output
    assert fake.prefixes == [] and not (tmp_path / "audit.html").exists()
