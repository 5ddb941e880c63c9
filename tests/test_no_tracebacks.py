"""Bad input never produces a traceback: every command, fed a broken fleet, bad option
values, bad plan files or an unreachable / failing ConnectWise or LMPI, exits non-zero
with one clear message (never Python's "Traceback" nor the CLI's catch-all "internal
error:", which means a bug got through) and sends nothing to ConnectWise.

Most cases run in process (fast); the ones that wait out the client's retries run as real
subprocesses, all at once, while the rest of the module runs.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from reconciler.sandbox import SandboxCredentials, create_app, serve
from tests.processes import QUICK_TIMEOUT
from tests.served_fleet import (
    REPO,
    Run,
    cw_env,
    make_fleet,
    run_inprocess,
    run_process,
    writes,
)

AT = "2026-12-01T12:00"
PRIVATE = "sandbox-private"
LMPI_SECRET = "lmpi-secret-for-tracebacks"
ENV = cw_env(PRIVATE, lmpi_token="sandbox-lmpi-token", lmpi_secret=LMPI_SECRET)


def said(run: Run) -> str:
    """Where a command says what went wrong: run-due reports a failed ConnectWise read as
    `failed` rows of the customers it concerns (stdout); the others print one error line."""
    return run.text() if run.args[0] == "run-due" else run.stderr.decode()


def assert_clean_failure(run: Run, expected: int = 1) -> None:
    """Exit `expected`, a message saying what is wrong, and no traceback."""
    text = run.text()
    assert run.exit_code == expected, f"{run.args}: exit {run.exit_code}\n{text}"
    assert "Traceback" not in text, f"{run.args}:\n{text}"
    assert "internal error:" not in text, f"{run.args} hit the catch-all:\n{text}"
    assert text.strip(), f"{run.args}: failed without saying why"


# -- the served sandbox and the fleets aimed at it -------------------------------------

@pytest.fixture(scope="module")
def sandbox():
    """One sandbox served on 127.0.0.1 for the module; it knows ENV's credentials."""
    app = create_app(credentials=SandboxCredentials(lmpi_secret=LMPI_SECRET))
    with serve(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def fleet_factory(sandbox, tmp_path_factory) -> Callable[..., Path]:
    _, url = sandbox
    made = iter(range(10_000))

    def make(*, url_override: str | None = None, lmpi: bool = False) -> Path:
        dest = tmp_path_factory.mktemp(f"fleet{next(made)}")
        return make_fleet(dest / "fleet", url_override or url, lmpi_url=url if lmpi else None)

    return make


@pytest.fixture(scope="module")
def good_fleet(fleet_factory) -> Path:
    return fleet_factory()


def run_checked(app, root: Path | str, args: list[str], expected: int = 1,
                env: dict[str, str] = ENV) -> Run:
    """Run in process; assert a clean failure and that ConnectWise received no write."""
    before = len(app.request_log)
    run = run_inprocess(root, args, env)
    assert_clean_failure(run, expected)
    assert writes(app, before) == [], f"{args} sent something"
    return run


# -- a broken fleet, for every command --------------------------------------------------

def _settings(content: bytes | str | None) -> Callable[[Path], None]:
    def breakage(root: Path) -> None:
        path = root / "reconciler.yaml"
        path.unlink()
        if content is not None:
            path.write_bytes(content.encode() if isinstance(content, str) else content)
    return breakage


def _settings_folder(root: Path) -> None:
    (root / "reconciler.yaml").unlink()
    (root / "reconciler.yaml").mkdir()


def _customers_file(root: Path) -> None:
    shutil.rmtree(root / "customers")
    (root / "customers").write_text("not a folder\n")


def _sandbox_state_blocked(root: Path) -> None:
    """url: sandbox, but .reconciler (where its state lives) is a file."""
    _settings((REPO / "reconciler.yaml").read_text())(root)
    (root / ".reconciler").write_text("in the way\n")


# Breakages that leave no usable fleet: every command must stop before sending anything.
WHOLE_FLEET = {
    "settings-missing": _settings(None),
    "settings-empty": _settings(""),
    "settings-binary": _settings(b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00garbage"),
    "settings-bad-yaml": _settings("connectwise: [unclosed\n  url: x\n"),
    "settings-a-list": _settings("- connectwise\n- timezone\n"),
    "settings-wrong-types": _settings("connectwise: 3\ntimezone: [1]\nsend_at: 25:99\n"),
    "settings-a-folder": _settings_folder,
    "customers-a-file": _customers_file,
}

COMMANDS = [
    ["validate"],
    ["verify"],
    ["plan"],
    ["plan", "--format", "json"],
    ["apply", "--yes"],
    ["import", "--company", "DUNDER"],
    ["schedule"],
    ["run-due", "--at", AT, "--dry-run"],
    ["run-due", "--at", AT],
    ["send-now", "billing", "--customer", "ACME"],
    ["audit", "--at", AT],
    ["doctor"],
    ["collect", "detections", "--at", AT],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("breakage", WHOLE_FLEET)
def test_broken_fleet(breakage, args, sandbox, fleet_factory):
    app, _ = sandbox
    root = fleet_factory()
    WHOLE_FLEET[breakage](root)
    run_checked(app, root, args)


# reconciler.yaml fine but the sandbox cannot keep its state: commands that reach
# ConnectWise fail clearly; the others do not need it.
@pytest.mark.parametrize(("args", "expected"), [
    (["validate"], 0), (["schedule"], 0), (["verify"], 1), (["plan"], 1), (["apply", "--yes"], 1),
    (["import", "--company", "DUNDER"], 1), (["run-due", "--at", AT], 1),
    (["send-now", "billing", "--customer", "ACME"], 1),
], ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_sandbox_state_blocked(args, expected, fleet_factory):
    root = fleet_factory()
    _sandbox_state_blocked(root)
    run = run_inprocess(root, args, ENV)
    if expected:
        assert_clean_failure(run)
        assert ".reconciler" in run.stderr.decode()
    else:
        assert run.exit_code == 0, run.text()


def test_nonexistent_root(sandbox, tmp_path):
    app, _ = sandbox
    for args in COMMANDS:
        run = run_checked(app, tmp_path / "no-such-fleet", args)
        assert "reconciler.yaml: error: no such file" in run.text(), run.text()


# -- one broken customer file: it is reported with its path; the others still run ------

def _customer_folder(root: Path) -> None:
    (root / "customers" / "evil.yaml").mkdir()


def _customer_binary(root: Path) -> None:
    (root / "customers" / "evil.yaml").write_bytes(b"\xff\xfe\x00\x01\x00binary")


def _customer_list(root: Path) -> None:
    (root / "customers" / "evil.yaml").write_text("- name\n- connectwise\n")


BAD_CUSTOMER = {"folder": _customer_folder, "binary": _customer_binary, "a-list": _customer_list}
READ_ONLY_COMMANDS = [["validate"], ["verify"], ["plan"], ["schedule"],
                      ["run-due", "--at", AT, "--dry-run"], ["doctor"]]


@pytest.mark.parametrize("args", READ_ONLY_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("breakage", BAD_CUSTOMER)
def test_broken_customer_file(breakage, args, sandbox, fleet_factory):
    app, _ = sandbox
    root = fleet_factory()
    BAD_CUSTOMER[breakage](root)
    run = run_checked(app, root, args)
    assert "customers/evil.yaml" in run.text()


# -- bad option values --------------------------------------------------------------------

# (command args, expected exit): 2 is click's usage error, 1 every other refusal.
BAD_OPTIONS = [
    (["run-due", "--at", "garbage"], 1),
    (["run-due", "--at", "2026-13-01T00:00"], 1),
    (["run-due", "--at", "0001-01-01T00:00"], 1),
    (["run-due", "--at", "9999-12-31T23:59-12:00"], 1),
    (["run-due", "--format", "bogus"], 2),
    (["run-due", "--at", AT, "--customer", "nobody*"], 1),
    (["run-due", "--at", AT, "--approve-quantities", "nobody"], 1),
    (["send-now", "billing", "--customer", "ACME", "--at", "garbage"], 1),
    (["send-now", "billing", "--customer", "ACME", "--at", "0001-01-01T00:00"], 1),
    (["send-now", "billing", "--customer", "nobody"], 1),
    (["send-now", "billing"], 2),
    (["schedule", "--from", "2026-12-10", "--to", "2026-12-01"], 1),
    (["schedule", "--from", "garbage"], 1),
    (["schedule", "--from", "0001-01-01"], 1),
    (["schedule", "--from", "9999-12-31"], 1),
    (["schedule", "--format", "bogus"], 2),
    (["schedule", "--customer", "nobody*"], 1),
    (["plan", "--format", "bogus"], 2),
    (["plan", "--customer", "nobody*"], 1),
    (["plan", "--changed-since", "HEAD"], 1),  # not a git repository
    (["plan", "--out", "{tmp}/no-such-folder/plan.json"], 1),
    (["plan", "--out", "{tmp}"], 2),
    (["verify", "--customer", "nobody*"], 1),
    (["verify", "--format", "bogus"], 2),
    (["apply"], 2),
    (["apply", "--yes", "--customer", "nobody*"], 1),
    (["import"], 2),
    (["import", "--company", "NOPE"], 1),
    (["import", "--company", "ACME"], 1),  # already has a file
    (["validate", "--format", "bogus"], 2),
    (["validate", "no-such-file.yaml"], 1),
    (["validate", "n" * 5000 + ".yaml"], 1),  # a name too long to look up
    (["apply", "n" * 5000 + ".json"], 1),
    (["history"], 1),  # not a git repository
    (["doctor", "--write-probe"], 2),
    (["doctor", "--probe-company", "SANDBOXMSP"], 2),
    (["doctor", "--format", "bogus"], 2),
    (["history", "--format", "bogus"], 2),
    (["no-such-command"], 2),
]


@pytest.mark.parametrize(("args", "expected"), BAD_OPTIONS,
                         ids=[" ".join(a)[:60] for a, _ in BAD_OPTIONS])
def test_bad_option(args, expected, sandbox, good_fleet, tmp_path):
    app, _ = sandbox
    run_checked(app, good_fleet, [a.replace("{tmp}", str(tmp_path)) for a in args], expected)


# -- bad plan files -----------------------------------------------------------------------

@pytest.mark.parametrize(("content", "says"), [
    (b"not json {", "not a plan file"),
    (b"\xff\x00\xfe", "cannot read plan file"),
    (b"[1, 2]", "not a reconciler plan file"),
    (b'{"format_version": 1}', "damaged plan file"),
    (b'{"format_version": 99}', "not supported"),
    (b"[" * 100_000 + b"]" * 100_000, "unreadable JSON"),
    (b'{"format_version": 1' + b"0" * 5000 + b"}", "unreadable JSON"),
], ids=["garbage", "binary", "a-list", "no-fields", "future-version", "deep", "huge-number"])
def test_garbage_plan_file(content, says, sandbox, good_fleet, tmp_path):
    app, _ = sandbox
    plan = tmp_path / "plan.json"
    plan.write_bytes(content)
    run = run_checked(app, good_fleet, ["apply", str(plan)])
    assert says in run.stderr.decode()


@pytest.fixture(scope="module")
def saved_plan(good_fleet, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("saved") / "plan.json"
    assert run_inprocess(good_fleet, ["plan", "--out", str(out)], ENV).exit_code == 0
    return json.loads(out.read_text())


# (where in the plan file, a value of the wrong type): each once crashed apply half-way.
DAMAGED_FIELDS = [
    (("changes", 0, "before"), "x"),
    (("changes", 0, "after"), 1.5),
    (("changes", 0, "addition_id"), "1005"),
    (("changes", 0, "agreement"), []),
    (("changes", 0, "kind"), "delete"),
    (("customers", 0, "slug"), 7),
    (("customers", 0, "managed_additions"), "many"),
]


@pytest.mark.parametrize(("where", "value"), DAMAGED_FIELDS,
                         ids=[".".join(map(str, w)) for w, _ in DAMAGED_FIELDS])
def test_damaged_plan_field(where, value, saved_plan, sandbox, good_fleet, tmp_path):
    app, _ = sandbox
    data = json.loads(json.dumps(saved_plan))
    parent = data
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(data))
    run = run_checked(app, good_fleet, ["apply", str(plan)])
    assert f"damaged plan file: missing or bad field '{where[-1]}'" in run.stderr.decode()


def test_plan_from_another_fleet_is_refused(sandbox, fleet_factory, tmp_path):
    """Same customers, different settings: the saved plan does not describe this fleet."""
    app, _ = sandbox
    other, here = fleet_factory(), fleet_factory()
    settings = other / "reconciler.yaml"
    settings.write_text(settings.read_text().replace("06:00", "07:00"))
    plan = tmp_path / "plan.json"
    assert run_inprocess(other, ["plan", "--out", str(plan)], ENV).exit_code == 0
    run = run_checked(app, here, ["apply", str(plan)])
    assert "stale" in run.stderr.decode()


def test_edited_plan_is_refused(sandbox, good_fleet, tmp_path):
    """Fingerprints still match, but a change was added: only planned changes apply."""
    app, _ = sandbox
    plan_file = tmp_path / "plan.json"
    assert run_inprocess(good_fleet, ["plan", "--out", str(plan_file)], ENV).exit_code == 0
    data = json.loads(plan_file.read_text())
    cancel = next(c for c in data["changes"] if c["kind"] == "cancel")
    data["changes"].append({**cancel, "addition_id": 1001, "reason": "slipped in"})
    plan_file.write_text(json.dumps(data))
    run = run_checked(app, good_fleet, ["apply", str(plan_file)])
    assert "was the file edited?" in run.stderr.decode()


def test_stale_plan_is_refused(sandbox, fleet_factory, tmp_path):
    app, _ = sandbox
    root = fleet_factory()
    plan = tmp_path / "plan.json"
    assert run_inprocess(root, ["plan", "--out", str(plan)], ENV).exit_code == 0
    acme = root / "customers" / "acme.yaml"
    acme.write_text(acme.read_text().replace("day: 31", "day: 30"))
    run = run_checked(app, root, ["apply", str(plan)])
    assert "stale" in run.stderr.decode()


# -- usage and detection files that cannot be read: that send fails, clearly ------------

@pytest.mark.parametrize(("rel", "content"), [
    ("data/usage/2026-11.json", "[" * 100_000 + "]" * 100_000),
    ("data/usage/2026-11.json", '[{"provisioned": 1' + "0" * 5000 + "}]"),
    ("data/detections/hosted_email_security/2026-11.json", "[" * 100_000 + "]" * 100_000),
], ids=["usage-deep", "usage-huge-number", "detections-deep"])
def test_unreadable_source_file(rel, content, sandbox, tmp_path):
    app, url = sandbox
    root = make_fleet(tmp_path / "fleet", url, copy_data=True)
    (root / rel).with_suffix(".csv").unlink()
    (root / rel).write_text(content)
    run = run_checked(app, root, ["run-due", "--at", AT, "--dry-run"])
    assert f"{rel}: unreadable JSON" in run.text(), run.text()


# -- credentials the environment cannot carry ---------------------------------------------

@pytest.mark.parametrize(("override", "says"), [
    ({"CW_CLIENT_ID": ""}, "CW_CLIENT_ID is not set"),
    ({"CW_CLIENT_ID": "gu\u00efd-with-an-accent"}, "CW_CLIENT_ID must contain only ASCII"),
    ({"CW_PRIVATE_KEY": "\u201csmart-quoted\u201d"}, "CW_PRIVATE_KEY must contain only ASCII"),
    ({"CW_CLIENT_ID": "not-a-guid"}, "401"),
    ({"CW_PRIVATE_KEY": "wrong-private-key"}, "401"),
], ids=["client-id-unset", "client-id-not-ascii", "key-not-ascii", "client-id-not-guid",
        "wrong-key"])
def test_unusable_connectwise_credentials(override, says, sandbox, good_fleet):
    app, _ = sandbox
    for args in (["plan"], ["run-due", "--at", AT], ["send-now", "billing", "--customer", "ACME"]):
        run = run_checked(app, good_fleet, args, env=ENV | override)
        assert says in said(run), run.text()


@pytest.fixture(scope="module")
def lmpi_fleet(fleet_factory) -> Path:
    return fleet_factory(lmpi=True)


@pytest.mark.parametrize(("override", "says"), [
    ({"LMPI_SECRET_KEY": "wrong-secret"}, "LMPI refused the credentials"),
    ({"LMPI_ACCESS_TOKEN": "t\u00f6ken"}, "LMPI_ACCESS_TOKEN must contain only ASCII"),
    ({"LMPI_SECRET_KEY": ""}, "needs LMPI_ACCESS_TOKEN and LMPI_SECRET_KEY"),
], ids=["lmpi-401", "lmpi-token-not-ascii", "lmpi-secret-unset"])
@pytest.mark.parametrize("args", [["run-due", "--at", AT, "--dry-run"],
                                  ["send-now", "billing", "--customer", "ACME"]], ids=" ".join)
def test_lmpi_refuses(override, says, args, sandbox, lmpi_fleet):
    """Billing needs usage: without it nothing is billed (a clear failure, not a zero)."""
    app, _ = sandbox
    acme = lmpi_fleet / "customers" / "acme.yaml"  # send-now needs acme applied: drop apex-one
    acme.write_text(acme.read_text().replace("  apex-one:\n    type: Managed Service\n"
                                             "    name: ACME Endpoint Protection\n", "")
                    .replace("products: [wfbss, apex-one]", "products: [wfbss]"))
    run = run_checked(app, lmpi_fleet, args, env=ENV | override)
    assert says in run.stdout.decode() + run.stderr.decode(), run.text()


# -- a "ConnectWise" that answers nonsense (a captive portal, a misrouted proxy) ----------

def _nonsense_site(body: bytes, content_type: str):
    """Codebase discovery works; every API call answers 200 with `body`."""
    def app(environ, start_response):
        if environ["PATH_INFO"].lower().startswith("/login/companyinfo/"):
            payload = json.dumps({"Codebase": "v4_6_release/"}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [payload]
        start_response("200 OK", [("Content-Type", content_type)])
        return [body]
    return app


@pytest.mark.parametrize(("body", "content_type", "says"), [
    (b"<html>sign in to the hotel wifi</html>", "text/html", "not valid JSON"),
    (b'{"unexpected": true}', "application/json", "expected a list"),
    (b'[1, "two", null]', "application/json", "expected a list of records"),
], ids=["html", "object", "list-of-junk"])
def test_connectwise_answering_nonsense(body, content_type, says, tmp_path):
    with serve(_nonsense_site(body, content_type)) as url:
        root = make_fleet(tmp_path / "fleet", url)
        for args in (["verify"], ["plan"], ["import", "--company", "DUNDER"],
                     ["run-due", "--at", AT, "--dry-run"]):
            run = run_inprocess(root, args, ENV)
            assert_clean_failure(run)
            assert says in said(run), run.text()


# -- history over commits that break the fleet ---------------------------------------------

def test_history_over_broken_commits(tmp_path):
    """Commits with binary, invalid or missing settings and a customer file that became a
    folder (then a file again) are reported per commit; history itself runs."""
    root = tmp_path / "repo"
    root.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

    def commit(message: str) -> None:
        for args in (["add", "-A"], ["commit", "-q", "--allow-empty", "-m", message]):
            subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True,
                           timeout=QUICK_TIMEOUT)

    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, env=env, check=True,
                   timeout=QUICK_TIMEOUT)
    shutil.copy(REPO / "reconciler.yaml", root)
    shutil.copytree(REPO / "customers", root / "customers")
    commit("fleet")
    (root / "reconciler.yaml").write_bytes(b"\xff\x00binary")
    commit("binary settings")
    (root / "reconciler.yaml").write_text("- a list\n")
    commit("settings a list")
    shutil.copy(REPO / "reconciler.yaml", root)
    acme = root / "customers" / "acme.yaml"
    acme.unlink()
    acme.mkdir()
    (acme / "inside.yaml").write_text("name: 1\n")
    commit("acme.yaml became a folder")
    shutil.rmtree(acme)
    shutil.copy(REPO / "customers" / "acme.yaml", acme)
    commit("acme.yaml a file again")
    (root / "reconciler.yaml").unlink()
    commit("settings removed")
    shutil.copy(REPO / "reconciler.yaml", root)
    commit("settings back")
    for args in (["history"], ["history", "acme"], ["history", "--format", "json"]):
        run = run_inprocess(root, args, {})
        assert run.exit_code == 0, run.text()
        assert "Traceback" not in run.text() and "internal error:" not in run.text()
        assert "config invalid at" in run.text() or '"invalid"' in run.text() or args[-1] == "json"
    for args, says in ((["history", "--since", "no-such-ref"], "unknown git ref"),
                       (["history", "nobody"], "does not appear"),
                       (["plan", "--changed-since", "--all"], "unknown git ref")):
        run = run_inprocess(root, args, {})
        assert_clean_failure(run)
        assert says in run.stderr.decode()


# -- ConnectWise unreachable or failing every time: real subprocesses, run together -------

NETWORK_COMMANDS = [
    ["doctor"],
    ["verify"],
    ["plan"],
    ["apply", "--yes"],
    ["import", "--company", "DUNDER"],
    ["run-due", "--at", AT],
    ["send-now", "billing", "--customer", "ACME"],
]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens


@pytest.fixture(scope="module")
def failing_cw():
    """A sandbox whose API answers 500 to every request (codebase discovery still works)."""
    app = create_app()
    app.faults.fail_next("500", 10**6)
    with serve(app) as url:
        yield app, url


@pytest.fixture(scope="module", autouse=True)
def network_runs(failing_cw, tmp_path_factory):
    """Starts the slow cases first thing (each waits out ~5 retries with backoff); the
    tests at the end of the module collect them."""
    _, failing_url = failing_cw
    unreachable = make_fleet(tmp_path_factory.mktemp("down") / "fleet",
                             f"http://127.0.0.1:{_closed_port()}")
    failing = make_fleet(tmp_path_factory.mktemp("500") / "fleet", failing_url)
    real_entry = tmp_path_factory.mktemp("entry")
    binary = make_fleet(real_entry / "binary", "sandbox")
    (binary / "reconciler.yaml").write_bytes(b"\x00\xff\xfe binary")
    cases = {("unreachable", *a): (unreachable, a) for a in NETWORK_COMMANDS}
    cases |= {("500", *a): (failing, a) for a in NETWORK_COMMANDS}
    cases |= {("no-root", "plan"): (real_entry / "missing", ["plan"]),
              ("binary-settings", "run-due"): (binary, ["run-due", "--at", AT])}
    (real_entry / "binary.yaml").write_bytes(b"\xff\xfe\x00binary")
    (real_entry / "bad.yaml").write_text("companies: [\n")
    (real_entry / "state.json").write_bytes(b"\xff{not json")
    cases |= {("serve", *args): (real_entry, ["sandbox", "serve", "--port", "0", *args])
              for args, _ in BAD_SERVE}
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        futures: dict[tuple[str, ...], Future[Run]] = {
            key: pool.submit(run_process, root, args, cw_env(PRIVATE), cwd=real_entry)
            for key, (root, args) in cases.items()
        }
        yield futures


@pytest.mark.parametrize("args", NETWORK_COMMANDS, ids=" ".join)
def test_connectwise_unreachable(args, network_runs):
    run = network_runs[("unreachable", *args)].result()
    assert_clean_failure(run)
    assert "could not complete" in run.text(), run.text()


@pytest.mark.parametrize("args", NETWORK_COMMANDS, ids=" ".join)
def test_connectwise_500_every_time(args, network_runs, failing_cw):
    app, _ = failing_cw
    run = network_runs[("500", *args)].result()
    assert_clean_failure(run)
    assert "500" in run.text(), run.text()
    assert writes(app) == []


# `sandbox serve` refusing to start: (arguments, expected exit); the files are made by
# network_runs in the folder it runs them from.
BAD_SERVE = [
    (["--seed", "binary.yaml"], 1),
    (["--seed", "bad.yaml"], 1),
    (["--state", "state.json"], 1),
    (["--host", "0.0.0.0"], 2),
    (["--rate-429", "0.6", "--rate-5xx", "0.6"], 2),
]


@pytest.mark.parametrize(("args", "expected"), BAD_SERVE, ids=[" ".join(a) for a, _ in BAD_SERVE])
def test_sandbox_serve_refuses(args, expected, network_runs):
    assert_clean_failure(network_runs[("serve", *args)].result(), expected)


@pytest.mark.parametrize("key", [("no-root", "plan"), ("binary-settings", "run-due")],
                         ids=" ".join)
def test_real_entry_point(key, network_runs):
    """`python -m reconciler` (not only click's runner) fails cleanly too."""
    assert_clean_failure(network_runs[key].result())


def test_the_shared_sandbox_holds_what_it_was_seeded_with(sandbox):
    """Last: after every bad-input case above, no ticket, addition or note was added or
    changed (each case also checked that no write request reached it)."""
    app, _ = sandbox

    def records(a) -> dict[str, list]:
        with a.store.session() as state:
            return {name: state.records(name) for name in ("tickets", "notes", "additions")}

    assert records(app) == records(create_app())
