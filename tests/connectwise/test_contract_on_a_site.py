"""The gateway contract suite pointed at a site by environment variables, as a user points
it at their own ConnectWise: here a sandbox served on 127.0.0.1 plays the site. Read-only
unless writes are asked for; with them, only the named test company is written to, and
everything created is undone as far as the API member may (cancelled, closed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.sandbox import create_app, serve
from tests.served_fleet import CLIENT_ID

REPO = Path(__file__).resolve().parents[2]
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


def run_suite(url: str, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CW_", "RECONCILER_"))} | {
        "RECONCILER_CONTRACT_SITE": url, "CW_COMPANY_ID": "sandbox",
        "CW_PUBLIC_KEY": "sandbox-public", "CW_PRIVATE_KEY": "sandbox-private",
        "CW_CLIENT_ID": CLIENT_ID, "RECONCILER_CONTRACT_COMPANY": "ACME", **extra}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-rs",
         "tests/connectwise/contract", "-k", "real-site"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_read_tests_run_against_a_site_and_write_nothing():
    app = create_app(seed=None)
    with serve(app) as url:
        done = run_suite(url)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, summary  # the seed has it all
    assert not {method for method, _ in app.request_log} & WRITE_METHODS
    assert app.request_log  # it did read the site


@pytest.mark.slow
def test_writes_only_when_asked_only_on_the_test_company_and_undone(tmp_path):
    app = create_app(seed=None)
    with serve(app) as url:
        done = run_suite(url, RECONCILER_CONTRACT_WRITES="1",
                         RECONCILER_CONTRACT_WRITE_COMPANY="INITECH",
                         RECONCILER_CONTRACT_BOARD="Trend Micro Billing",
                         RECONCILER_CONTRACT_CATALOG_ITEM="TM-WFBSS")
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, summary
    state = app.store
    with state.session() as s:
        tickets = [t for t in s.records("tickets")
                   if str(t.get("externalXRef") or "").startswith("tmrm:contract:")]
        initech = {a["id"] for a in s.records("agreements")
                   if a["company"]["identifier"] == "INITECH"}
        additions = [x for x in s.records("additions") if x["agreementId"] in initech]
    assert tickets and all(t["company"]["identifier"] == "INITECH" for t in tickets)
    assert all(t["closedFlag"] for t in tickets)  # every ticket the tests made is closed
    created = [x for x in additions if x["product"]["identifier"] == "TM-WFBSS"
               and x.get("effectiveDate", "").startswith("2026-11-25")]
    assert created and all(x.get("cancelledDate") for x in created)
    assert not any(method == "DELETE" for method, _ in app.request_log)
    written = {uri.split("/apis/3.0/")[1].split("/")[0] for method, uri in app.request_log
               if method in WRITE_METHODS}
    assert written == {"finance", "service"}
