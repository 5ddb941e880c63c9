"""The main job against the sandbox: plan, apply, converge, and every failure path."""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime

from reconciler.config import load_fleet
from reconciler.connectwise import replace_ops
from reconciler.runtime import open_runtime
from tests.e2e.e2e_support import FailFirstPost, additions, client_for, run, sandbox_app


def plan_json(root, *args):
    result = run(root, "plan", "--format", "json", *args)
    assert result.exit_code in (0, 1, 2), result.output
    return json.loads(result.stdout), result.exit_code


def changes(data):
    return sorted((c["kind"], c["customer"], c["product"], c["agreement"]["id"],
                   c["addition_id"]) for c in data["changes"])


def test_first_plan_then_apply_converges_with_no_phantom_diffs(root):
    data, code = plan_json(root, "--detailed-exitcode")
    assert code == 2
    assert changes(data) == [
        ("cancel", "globex", "apex-one", 104, 1005),  # no longer billed
        ("cancel", "wayne", "hes", 115, 1020),  # moved ...
        ("create", "acme", "apex-one", 102, None),
        ("create", "globex", "hes", 104, None),
        ("create", "umbrella", "cas", 106, None),
        ("create", "vandelay", "wfbss", 117, None),
        ("create", "wayne", "hes", 114, None),  # ... to Wayne Email Protection
        ("update", "globex", "wfbss", 104, 1004),  # DoNotBill -> Billable
    ]
    assert [c["kind"] for c in data["changes"]] == ["cancel"] * 2 + ["create"] * 5 + ["update"]
    assert {w["code"] for w in data["warnings"]} == {"disabled", "name_drift",
                                                     "unmanaged_company"}
    assert any(w["company"] == "DUNDER" for w in data["warnings"])
    assert data["errors"] == [] and data["requests"] > 0

    applied = run(root, "apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert "Applied 8 of 8 changes." in applied.output

    again = run(root, "plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.output
    # Cancelled, never deleted: billing history stays.
    old = additions(root, 104)[1005]
    assert old["cancelledDate"].startswith(datetime.now(UTC).date().isoformat()[:7])
    assert additions(root, 104)[1004]["billCustomer"] == "Billable"


def test_unmanaged_additions_are_untouched(root):
    before = {**additions(root, 101), **additions(root, 104)}
    assert run(root, "apply", "--yes").exit_code == 0
    after = {**additions(root, 101), **additions(root, 104)}
    for addition_id, record in before.items():
        if not record["product"]["identifier"].startswith("TM-"):
            assert after[addition_id] == record


def test_ambiguous_missing_agreements_and_missing_company_are_per_customer_errors(root):
    hooli = root / "customers" / "hooli.yaml"
    # HOOLI has two active TMRM agreements: a default one is ambiguous.
    hooli.write_text(hooli.read_text().replace("""  apex-one:
    type: TMRM Management Solution
    name: Hooli Trend Micro Bundle
""", ""))
    acme = root / "customers" / "acme.yaml"
    acme.write_text(acme.read_text().replace("name: ACME Endpoint Protection",
                                             "name: ACME Endpoint Protectoin"))
    umbrella = root / "customers" / "umbrella.yaml"
    umbrella.write_text(umbrella.read_text().replace("company: UMBRELLA", "company: UMBRELA"))
    data, code = plan_json(root)
    assert code == 1
    errors = {e["customer"]: e for e in data["errors"]}
    assert "2 active 'TMRM Management Solution' agreements" in errors["hooli"]["message"]
    assert len(errors["hooli"]["candidates"]) == 2
    assert "no active agreement 'Managed Service / ACME Endpoint Protectoin'" in (
        errors["acme"]["message"])
    assert any("ACME Endpoint Protection" in c for c in errors["acme"]["candidates"])
    assert "company UMBRELA does not exist" in errors["umbrella"]["message"]
    assert "UMBRELLA" in errors["umbrella"]["candidates"]
    # Other customers' changes are still planned.
    assert {c["customer"] for c in data["changes"]} == {"globex", "vandelay", "wayne"}


def test_deleted_company_is_an_error_once_enabled(root):
    soylent = root / "customers" / "soylent.yaml"
    soylent.write_text(soylent.read_text().replace("integration: disabled",
                                                   "integration: enabled"))
    data, code = plan_json(root, "--customer", "soylent")
    assert code == 1
    assert "company SOYLENT (id 28) is deleted in ConnectWise" in data["errors"][0]["message"]
    assert data["changes"] == []


def test_saved_plan_applies_once_and_is_refused_when_stale(root):
    out = root / "plan.json"
    assert run(root, "plan", "--out", str(out)).exit_code == 0
    stale = root / "stale.json"
    stale.write_text(out.read_text())
    assert run(root, "apply", str(out)).exit_code == 0
    refused = run(root, "apply", str(stale))  # ConnectWise changed since
    assert refused.exit_code == 1
    assert "stale" in refused.output and "ConnectWise changed" in refused.output

    assert run(root, "plan", "--out", str(out)).exit_code == 0
    globex = root / "customers" / "globex.yaml"
    globex.write_text(globex.read_text().replace("name: Globex Industries", "name: Globex"))
    refused = run(root, "apply", str(out))
    assert refused.exit_code == 1 and "the configuration" in refused.output


def test_stale_plan_writes_nothing(root):
    out = root / "plan.json"
    assert run(root, "plan", "--out", str(out)).exit_code == 0
    with client_for(sandbox_app(root)) as client:  # someone edits ConnectWise
        client.patch("/finance/agreements/104/additions/1007", replace_ops(quantity=121))
    before = additions(root, 102)
    assert run(root, "apply", str(out)).exit_code == 1
    assert additions(root, 102) == before


def test_threshold_refused_then_forced(root):
    settings = root / "reconciler.yaml"
    text = settings.read_text()
    text = re.sub(r"max_cancel_percent: \d+", "max_cancel_percent: 10", text)
    text = re.sub(r"min_managed_additions: \d+", "min_managed_additions: 5", text)
    settings.write_text(text)
    refused = run(root, "apply", "--yes")
    assert refused.exit_code == 1
    assert "cancels 2 of 12 managed additions (17%)" in refused.output
    assert run(root, "plan", "--detailed-exitcode").exit_code == 2  # nothing was applied
    forced = run(root, "apply", "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert run(root, "plan", "--detailed-exitcode").exit_code == 0


def test_one_customer_fails_others_apply_and_a_rerun_converges(root):
    app = sandbox_app(root)
    flaky = functools.partial(open_runtime, cw_transport=FailFirstPost(app),
                              client_options={"concurrency": 1, "rate_limit_per_minute": None})
    first = run(root, "apply", "--yes", runtime=flaky)
    assert first.exit_code == 1
    failed = [line for line in first.output.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and failed[0].startswith("FAILED       acme: create apex-one")
    assert "Applied 7 of 8 changes; 1 failed." in first.output
    data, code = plan_json(root, "--detailed-exitcode")
    assert code == 2 and changes(data) == [("create", "acme", "apex-one", 102, None)]
    assert run(root, "apply", "--yes").exit_code == 0
    assert run(root, "plan", "--detailed-exitcode").exit_code == 0


def test_verify_and_import_round_trip(root):
    verified = run(root, "verify")
    assert verified.exit_code == 0, verified.output
    assert "* TMRM Management Solution / ACME Trend Micro Services (Active, id 101)  [default]" in (
        verified.output)
    assert run(root, "verify", "--customer", "soylent").exit_code == 1

    imported = run(root, "import", "--company", "DUNDER", "--trend-micro-id", "dunder-1")
    assert imported.exit_code == 0, imported.output
    fleet = load_fleet(root)  # the written file validates
    dunder = next(c for c in fleet.customers if c.slug == "dunder")
    assert dunder.billed_products == ("wfbss",) and dunder.agreement_for("wfbss").is_default
    data, code = plan_json(root, "--customer", "dunder", "--detailed-exitcode")
    assert code == 0 and data["changes"] == []  # imported state is the live state
    assert run(root, "import", "--company", "DUNDER").exit_code == 1  # no overwrite


def test_requests_are_the_minimum_for_the_targeted_customers(root):
    fleet = load_fleet(root)
    enabled = {c.company for c in fleet.customers if c.enabled}
    with client_for(sandbox_app(root)) as client:
        agreements = client.list("/finance/agreements")
    def active(a):
        return a.get("agreementStatus") == "Active" and not a.get("cancelledFlag")
    in_play = sum(1 for a in agreements if a["company"]["identifier"] in enabled and active(a))
    # discovery + one company chunk + one agreements chunk + one listing per agreement in
    # play + one chunk of the companies' billing tickets (none yet: no note to read)
    data, _ = plan_json(root, "--no-scan-unmanaged")
    assert data["requests"] == 4 + in_play
    known = {c.company for c in fleet.customers}
    scanned = sum(1 for a in agreements if a["company"]["identifier"] not in known and active(a)
                  and a["type"]["name"] in fleet.settings.default_agreement_types)
    data, _ = plan_json(root)  # whole fleet: + one scan listing + its outside agreements
    assert data["requests"] == 4 + in_play + 1 + scanned
