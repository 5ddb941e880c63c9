"""`plan --changed-since` with a fleet change that adds, removes and moves products and
turns billing off, against the sandbox in process and served on 127.0.0.1: the billing
impact per customer and the fleet's total open the comment (markdown), the text and the
JSON. Expected amounts come from the seed's quantities and catalog prices."""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
from datetime import UTC, datetime

import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.runtime import open_runtime
from reconciler.sandbox import create_app, serve, transport
from reconciler.sandbox.seed import load_seed
from tests.review.conftest import PROJECT
from tests.served_fleet import CLIENT_ID

NEGOTIATED = 4.0  # ACME's wfbss unit price, below the catalog's


def seed() -> dict:
    data = load_seed(None)
    for agreement in data["agreements"]:
        for addition in agreement.get("additions") or []:
            if agreement["company"] == "ACME" and addition["product"] == "TM-WFBSS":
                addition["unitPrice"] = NEGOTIATED
    return data


def live(data: dict, company: str, item: str) -> float:
    return sum(x["quantity"] for a in data["agreements"] if a["company"] == company
               and a.get("agreementStatus", "Active") == "Active" and not a.get("cancelledFlag")
               for x in a.get("additions") or [] if x["product"] == item
               and not x.get("cancelledDate"))


def price(data: dict, item: str) -> float:
    return next(c["price"] for c in data["catalog"] if c["identifier"] == item)


def change_the_fleet(repo) -> None:
    repo.replace("customers/hooli.yaml", "products: [apex-one, tmems, cas]",
                 "products: [apex-one, tmems]")  # removed
    repo.replace("customers/acme.yaml", "  wfbss: default\n", "  wfbss:\n    type: Managed "
                 "Service\n    name: ACME Endpoint Protection\n")  # moved
    repo.replace("customers/acme.yaml", "products: [wfbss, apex-one]",
                 "products: [wfbss, apex-one, cas]")  # added
    text = repo.read("customers/umbrella.yaml")
    repo.write("customers/umbrella.yaml", text[:text.index("  billing:")]
               + text[text.index("  hosted_email_security:"):])  # billing off
    repo.replace("customers/wayne.yaml", "integration: enabled", "integration: disabled")
    (repo.root / "customers" / "initech.yaml").unlink()  # customer removed


@pytest.fixture(params=["in process", "over HTTP"])
def plan(request, fleet_repo, monkeypatch):
    """Runs `plan ARGS` on the changed example fleet against the seeded sandbox."""
    data = seed()
    app = create_app(seed=data)
    stack = contextlib.ExitStack()
    if request.param == "over HTTP":
        url = stack.enter_context(serve(app))
        settings = yaml.safe_load(fleet_repo.read("reconciler.yaml"))
        settings["connectwise"]["url"] = url
        fleet_repo.write("reconciler.yaml", yaml.safe_dump(settings, sort_keys=False))
        fleet_repo.commit("Our sandbox")
        for name, value in {"CW_COMPANY_ID": "sandbox", "CW_PUBLIC_KEY": "sandbox-public",
                            "CW_PRIVATE_KEY": "sandbox-private",
                            "CW_CLIENT_ID": CLIENT_ID}.items():
            monkeypatch.setenv(name, value)
        obj = {}
    else:
        obj = {"open_runtime": functools.partial(
            open_runtime, cw_transport=transport(app),
            client_options={"rate_limit_per_minute": None})}
    change_the_fleet(fleet_repo)

    def run(*args: str):
        return CliRunner().invoke(cli, ["--root", str(fleet_repo.root), "plan",
                                        "--changed-since", "HEAD", *args], obj=dict(obj))

    with stack:
        yield run, data


def expected_total(data: dict) -> float:
    removed = live(data, "HOOLI", "TM-CAS") * price(data, "TM-CAS")
    # the seed's companies were never billed: a moved product's new addition starts at 0
    moved = live(data, "ACME", "TM-WFBSS") * NEGOTIATED
    off = live(data, "UMBRELLA", "TM-HES") * price(data, "TM-HES")
    return round(-moved - removed - off, 2)


def test_the_billing_impact_opens_the_comment_and_names_each_product(plan):
    run, data = plan
    result = run("--format", "markdown")
    assert result.exit_code == 0, result.output
    total = expected_total(data)
    assert total == pytest.approx(-1455.10)  # the seed as this test knows it
    first = result.output.splitlines()[:3]
    assert first == ["## reconciler plan", "",
                     f"**Billing impact: {total:+,.2f} a month (5 customers, 8 products; "
                     "1 unknown amount not counted).**"]
    md = result.output.replace("\\", "")  # markdown escapes: (, ), > and + are shown as is
    assert "- 💲 cas removed: -797.50 a month (290 units, 797.50 -> 0 units, 0.00; its " \
           "additions are cancelled)" in md
    assert "- 💲 wfbss moved: -168.00 a month (42 units, 168.00 -> 0 units, 0.00; on " \
           "Managed Service / ACME Endpoint Protection (id 102): a new addition starts at 0 " \
           "until a billing bills it (never billed); catalog price)" in md
    assert "- 💲 cas added: unknown (0 units, 0.00 -> ? units, ?; on TMRM Management " \
           "Solution / ACME Trend Micro Services (id 101): it starts at 0; units unknown " \
           "until a billing bills it; catalog price)" in md
    assert "- 💲 hes removed: -489.60 a month" in md
    assert "- 💲 tmems left as is: 0.00 a month (51 units, 158.10 -> 51 units, 158.10; no " \
           "longer managed" in md  # initech's file removed
    assert md.count("- 💲 wfbss left as is") == 1 and md.count("- 💲 hes left as is") == 1


def test_the_billing_impact_tops_the_text_and_the_json(plan):
    run, data = plan
    text = run()
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[0] == (f"Billing impact: {expected_total(data):+,.2f} a "
                                           "month (5 customers, 8 products; 1 unknown "
                                           "amount not counted).")
    assert "    $ cas removed: -797.50 a month (290 units" in text.output
    result = run("--format", "json")
    data_out = json.loads(result.output)
    assert list(data_out)[:2] == ["format_version", "billing_impact"]
    assert data_out["billing_impact"] == {
        "headline": text.output.splitlines()[0], "delta_per_month": expected_total(data),
        "unknown": 1, "customers": 5}
    impact = data_out["policy_review"]["billing_impact"]
    hooli = next(c for c in impact["customers"] if c["customer"] == "hooli")
    assert hooli["lines"] == [{
        "product": "cas", "change": "removed", "now": {"units": 290, "amount": 797.5},
        "after": {"units": 0, "amount": 0.0}, "delta": -797.5,
        "note": "290 units, 797.50 -> 0 units, 0.00; its additions are cancelled"}]
    assert impact["requests"] >= 4  # agreements, additions, catalog, billing tickets


def test_after_a_billing_a_move_keeps_the_billed_units(fleet_repo):
    """Acme billed by run-due (its record names the units); moving wfbss prices the new
    addition's latest billed units at the catalog price."""
    shutil.copytree(PROJECT / "data", fleet_repo.root / "data")
    clock = {"now": datetime(2026, 11, 30, 11, 30, tzinfo=UTC)}
    app = create_app(seed=seed(), clock=lambda: clock["now"])
    obj = {"open_runtime": functools.partial(
        open_runtime, cw_transport=transport(app),
        client_options={"rate_limit_per_minute": None})}

    def run(*args: str):
        return CliRunner().invoke(cli, ["--root", str(fleet_repo.root), *args], obj=dict(obj))

    assert run("apply", "--yes").exit_code == 0
    sent = run("run-due", "--at", "2026-11-30T06:30", "--customer", "acme", "--format", "json")
    billing = next(r for r in json.loads(sent.output)["results"] if r["kind"] == "billing")
    assert billing["outcome"] == "sent", billing
    # billed on November 30th: October's usage (contract 2), Acme's wfbss row
    acme_id = "6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01"
    row = next(line for line in (fleet_repo.root / "data/usage/2026-10.csv").read_text()
               .splitlines() if line.startswith(acme_id) and "Worry-Free" in line)
    billed = int(row.rsplit(",", 1)[1])
    fleet_repo.replace("customers/acme.yaml", "  wfbss: default\n", "  wfbss:\n    type: "
                       "Managed Service\n    name: ACME Endpoint Protection\n")
    result = run("plan", "--changed-since", "HEAD", "--format", "json")
    impact = json.loads(result.output)["policy_review"]["billing_impact"]
    (acme,) = impact["customers"]
    (line,) = acme["lines"]
    assert (line["product"], line["change"]) == ("wfbss", "moved")
    assert line["after"] == {"units": billed,
                             "amount": round(billed * price(seed(), "TM-WFBSS"), 2)}
    assert "latest billed units, billed on ticket #" in line["note"]
