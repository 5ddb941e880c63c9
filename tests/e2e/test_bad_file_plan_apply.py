"""One bad customer file never stops the others: plan and apply against the sandbox."""

from __future__ import annotations

import json
import shutil

from tests.e2e.e2e_support import additions, run

ERROR = "customers/acme.yaml:17:10: custom.billing.day is 32; the maximum is 31"
OTHERS = {"globex", "umbrella", "vandelay", "wayne"}  # the example fleet's pending changes


def break_acme(root):
    acme = root / "customers" / "acme.yaml"
    text = acme.read_text()
    assert text.count("    day: 31\n") == 1
    acme.write_text(text.replace("    day: 31\n", "    day: 32\n"))


def acme_additions(root):
    # ACME's managed TM-WFBSS 1001 is on 101; a valid file would create apex-one on 102
    return additions(root, 101), additions(root, 102)


def test_plan_shows_the_other_customers_and_the_error_at_file_line_col(root):
    break_acme(root)

    result = run(root, "plan", "--format", "json")

    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert {c["customer"] for c in data["changes"]} == OTHERS
    assert [(e["customer"], e["company"], e["message"]) for e in data["errors"]] == [
        ("acme", "ACME", ERROR)
    ]
    # ACME's managed additions still have a customer file: not reported as unmanaged
    unmanaged = {w["company"] for w in data["warnings"] if w["code"] == "unmanaged_company"}
    assert unmanaged == {"DUNDER"}

    text = run(root, "plan", "--detailed-exitcode")  # errors win over "2: changes"
    assert text.exit_code == 1
    assert f"x {ERROR}" in text.stdout and "wayne (WAYNE)" in text.stdout
    assert "Traceback" not in text.output


def fix_acme(root):
    acme = root / "customers" / "acme.yaml"
    acme.write_text(acme.read_text().replace("    day: 32\n", "    day: 31\n"))


def test_apply_yes_applies_the_others_and_touches_nothing_of_the_broken_company(root):
    before = acme_additions(root)  # (the helper loads the fleet strictly: read it first)
    break_acme(root)

    result = run(root, "apply", "--yes")

    assert result.exit_code == 1
    assert f"not planned  {ERROR}" in result.stdout
    assert "Applied 7 of 7 changes; 1 customer errors" in result.stdout
    fix_acme(root)
    assert acme_additions(root) == before  # nothing created, nothing cancelled
    assert not before[0][1001].get("cancelledDate")  # WFBSS live, and still live
    # with the file fixed, ACME's own change is still pending; the others are done
    data = json.loads(run(root, "plan", "--format", "json").stdout)
    assert [(c["kind"], c["customer"], c["product"]) for c in data["changes"]] == [
        ("create", "acme", "apex-one")
    ]


def test_a_saved_plan_applies_the_others_and_reports_the_broken_file(root):
    break_acme(root)
    out = root / "plan.json"
    assert run(root, "plan", "--out", str(out)).exit_code == 1  # saved all the same

    result = run(root, "apply", str(out))

    assert result.exit_code == 1, result.output
    assert f"not planned  {ERROR}" in result.stdout
    assert "Applied 7 of 7 changes" in result.stdout


def test_a_saved_plan_is_stale_once_the_broken_file_changes(root):
    break_acme(root)
    out = root / "plan.json"
    run(root, "plan", "--out", str(out))
    fix_acme(root)

    result = run(root, "apply", str(out))

    assert result.exit_code == 1 and "the configuration" in result.output
    assert "Applied" not in result.output


def test_two_files_for_one_company_are_both_errors_and_nothing_is_planned_for_it(root):
    shutil.copy(root / "customers" / "acme.yaml", root / "customers" / "acme-copy.yaml")

    data = json.loads(run(root, "plan", "--format", "json").stdout)

    assert {c["customer"] for c in data["changes"]} == OTHERS
    messages = {(e["customer"], e["message"]) for e in data["errors"]}
    assert {customer for customer, _ in messages} == {"acme", "acme-copy"}
    assert ("acme", "customers/acme.yaml:4:12: ConnectWise company 'ACME' is also used by "
            "customers/acme-copy.yaml:4; one file per customer") in messages
    assert ("acme-copy", "customers/acme-copy.yaml:4:12: ConnectWise company 'ACME' is also "
            "used by customers/acme.yaml:4; one file per customer") in messages


def test_a_broken_reconciler_yaml_still_stops_everything(root):
    settings = root / "reconciler.yaml"
    settings.write_text(settings.read_text().replace("timezone: ", "timezone: Mars/", 1))

    for args in (["plan"], ["apply", "--yes"]):
        result = run(root, *args)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert "reconciler.yaml:" in result.stderr and "Mars/" in result.stderr
        assert "Traceback" not in result.output
