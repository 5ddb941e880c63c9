"""Credentials never leak: every command, run as a real subprocess against a sandbox served
on 127.0.0.1 (healthy, faulty, refusing the key, read-only), and again in process with
every logger at DEBUG, never shows the ConnectWise private key, the Basic auth token
(Base64 of `company+public:private`), the public key, the LMPI token and secret, or the
Email Security API key (nor its Basic token, Base64 of `account:key`): not on
stdout or stderr, not in a log record, not in any file it writes (plan.json, imported YAML,
.reconciler/*), not in what it sends to ConnectWise (URLs, tickets). Raw bytes are searched.

There is no log-level option in the CLI, hence the in-process runs under caplog; the
subprocesses run with RECONCILER_DEBUG=1, which lets an internal error print its
traceback (more text that must stay clean).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.sandbox import Faults, SandboxCredentials, create_app, serve
from tests.processes import QUICK_TIMEOUT, Process
from tests.served_fleet import Run, cw_env, make_fleet, run_inprocess, run_process

AT = "2026-12-01T12:00"
COMPANY = "sandbox"


def _secret(kind: str) -> str:
    return f"{kind}-{secrets.token_hex(12)}"


# Unique per run, so a match can only be a leak. The wrong keys must not leak either.
PUBLIC, PRIVATE = _secret("cwpub"), _secret("cwpriv")
RO_PUBLIC, RO_PRIVATE = _secret("ropub"), _secret("ropriv")
WRONG_PRIVATE = _secret("wrongpriv")
LMPI_TOKEN, LMPI_SECRET, WRONG_LMPI_SECRET = _secret("lmtok"), _secret("lmsec"), _secret("lmbad")
TMEMS_ACCOUNT = "leak-test-tmems"  # a login id, not a secret (like the company id)
TMEMS_KEY, WRONG_TMEMS_KEY = _secret("tmkey"), _secret("tmbad")


def _basic(public: str, private: str) -> str:
    return base64.b64encode(f"{COMPANY}+{public}:{private}".encode()).decode()


FORBIDDEN = {
    name: value.encode()
    for name, value in {
        "private key": PRIVATE, "Basic token": _basic(PUBLIC, PRIVATE), "public key": PUBLIC,
        "read-only private key": RO_PRIVATE, "read-only Basic token": _basic(RO_PUBLIC, RO_PRIVATE),
        "wrong private key": WRONG_PRIVATE, "wrong Basic token": _basic(PUBLIC, WRONG_PRIVATE),
        "LMPI token": LMPI_TOKEN, "LMPI secret": LMPI_SECRET,
        "wrong LMPI secret": WRONG_LMPI_SECRET,
        "Email Security API key": TMEMS_KEY, "wrong Email Security API key": WRONG_TMEMS_KEY,
        "Email Security Basic token": base64.b64encode(
            f"{TMEMS_ACCOUNT}:{TMEMS_KEY}".encode()).decode(),
        "wrong Email Security Basic token": base64.b64encode(
            f"{TMEMS_ACCOUNT}:{WRONG_TMEMS_KEY}".encode()).decode(),
    }.items()
}
ENV = cw_env(PRIVATE, public_key=PUBLIC, lmpi_token=LMPI_TOKEN, lmpi_secret=LMPI_SECRET) | {
    "TMEMS_ACCOUNT": TMEMS_ACCOUNT, "TMEMS_API_KEY": TMEMS_KEY}


def leaks(data: bytes | str) -> list[str]:
    """Names of the secrets found in `data`."""
    raw = data.encode() if isinstance(data, str) else data
    return [name for name, secret in FORBIDDEN.items() if secret in raw]


# -- scenarios: a sandbox, a fleet aimed at it, and commands run in order -------------------

@dataclass
class Scenario:
    """Commands (args, allowed exits) run in order against one served sandbox."""

    name: str
    steps: list[tuple[list[str], set[int]]]
    env: dict[str, str] = field(default_factory=lambda: dict(ENV))
    faults: Faults | None = None
    git: bool = False  # make the fleet a git repository (for history)
    collect: bool = False  # Email Security counts collected from the sandbox too


OK, FAILS, EITHER = {0}, {1}, {0, 1}  # EITHER: random faults may outlast the retries

# Two halves of the example fleet's life, run side by side: reading (git history too) and
# writing (plan saved and applied, import, sends).
READS = Scenario("reads", git=True, steps=[
    (["validate"], OK),
    (["verify", "--format", "json"], OK),
    (["plan"], OK),
    (["plan", "--format", "markdown"], OK),
    (["schedule", "--from", "2026-12-01", "--format", "json"], OK),
    (["history"], OK),
    (["plan", "--changed-since", "HEAD~1", "--format", "markdown"], OK),
    (["doctor", "--format", "json"], OK),
])
WRITES = Scenario("writes", steps=[
    (["plan", "--format", "json", "--out", "{out}/plan.json"], OK),
    (["apply", "{out}/plan.json"], OK),
    (["apply", "--yes"], OK),
    (["import", "--company", "DUNDER"], OK),  # into a copy of the fleet in a temp dir
    (["run-due", "--at", AT, "--dry-run"], OK),
    (["run-due", "--at", AT, "--format", "json"], OK),
    (["run-due", "--at", "2026-12-02T12:00"], OK),
    (["send-now", "billing", "--customer", "ACME", "--at", AT], OK),
    (["doctor", "--write-probe", "--probe-company", "SANDBOXMSP"], OK),
])
FAULTY_STEPS = [(["plan"], EITHER), (["apply", "--yes"], EITHER),
                (["run-due", "--at", AT], EITHER)]
WRONG_KEY = Scenario("wrong key (401)", env=ENV | {"CW_PRIVATE_KEY": WRONG_PRIVATE}, steps=[
    (["verify"], FAILS), (["plan"], FAILS), (["import", "--company", "DUNDER"], FAILS),
    (["run-due", "--at", AT], FAILS), (["doctor"], FAILS),
    (["send-now", "billing", "--customer", "ACME", "--at", AT], FAILS)])
LMPI_REFUSES = Scenario("LMPI refuses (401)", env=ENV | {"LMPI_SECRET_KEY": WRONG_LMPI_SECRET},
                        steps=[(["apply", "--yes"], OK), (["run-due", "--at", AT], FAILS),
                               (["doctor"], FAILS)])
# The served sandbox runs on real time, and so do these runs (no --at): its log window
# and the collector's agree.
COLLECTS = Scenario("collect", collect=True, steps=[
    (["collect", "detections"], OK), (["collect", "detections", "--format", "json"], OK)])
TMEMS_REFUSES = Scenario("Email Security refuses (401)", collect=True,
                         env=ENV | {"TMEMS_API_KEY": WRONG_TMEMS_KEY},
                         steps=[(["collect", "detections"], FAILS)])
SCENARIOS = [
    READS,
    WRITES,
    Scenario("rate_429", FAULTY_STEPS, faults=Faults(rate_429=0.3, retry_after=0, seed=1)),
    Scenario("rate_5xx", FAULTY_STEPS, faults=Faults(rate_5xx=0.3, seed=2)),
    Scenario("rate_drop", FAULTY_STEPS, faults=Faults(rate_drop=0.3, seed=3)),
    WRONG_KEY,
    Scenario("read-only key (403)",
             env=ENV | {"CW_PUBLIC_KEY": RO_PUBLIC, "CW_PRIVATE_KEY": RO_PRIVATE}, steps=[
                 (["plan"], OK), (["apply", "--yes"], FAILS), (["run-due", "--at", AT], FAILS),
                 (["doctor", "--write-probe", "--probe-company", "SANDBOXMSP"], FAILS)]),
    LMPI_REFUSES,
    COLLECTS,
    TMEMS_REFUSES,
]


@dataclass
class Outcome:
    scenario: Scenario
    base: Path  # every file the runs wrote is under it
    runs: dict[str, Run]  # by step, as written in the scenario
    request_log: list[tuple[str, str]]
    state: str  # the sandbox's records (tickets, additions...) as JSON


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True,
                   timeout=QUICK_TIMEOUT)


def _prepare(scenario: Scenario, base: Path, url: str) -> tuple[Path, Path]:
    # a collecting fleet writes under data/: its own copy, never the repository's
    root = make_fleet(base / "fleet", url, lmpi_url=url,
                      tmems_url=url if scenario.collect else None, copy_data=scenario.collect)
    if scenario.git:
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "fleet"]):
            _git(root, *args)
        acme = root / "customers" / "acme.yaml"
        acme.write_text(acme.read_text().replace("every: week", "every: day"))
        for args in (["add", "-A"], ["commit", "-qm", "acme: daily summaries"]):
            _git(root, *args)
    return root, make_fleet(base / "import-target", url, lmpi_url=url)


def _sandbox(faults: Faults | None = None):
    credentials = SandboxCredentials(
        company=COMPANY, public_key=PUBLIC, private_key=PRIVATE,
        readonly_public_key=RO_PUBLIC, readonly_private_key=RO_PRIVATE,
        lmpi_token=LMPI_TOKEN, lmpi_secret=LMPI_SECRET, tmems_account=TMEMS_ACCOUNT,
        tmems_api_key=TMEMS_KEY)
    return create_app(credentials=credentials, faults=faults)


def _state(app) -> str:
    with app.store.session() as state:
        return json.dumps(state.to_json())


def _play(scenario: Scenario, base: Path, runner) -> Outcome:
    app = _sandbox(scenario.faults)
    with serve(app) as url:
        root, import_root = _prepare(scenario, base, url)
        runs = {}
        for args, allowed in scenario.steps:
            target = import_root if args[0] == "import" else root
            run = runner(target, [a.replace("{out}", str(base)) for a in args], scenario.env)
            assert run.exit_code in allowed, f"{scenario.name}: {args}\n{run.text()}"
            runs[" ".join(args)] = run
    return Outcome(scenario, base, runs, list(app.request_log), _state(app))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    """Every scenario as real subprocesses (RECONCILER_DEBUG=1), scenarios in parallel."""
    def play(scenario: Scenario, base: Path) -> Outcome:
        return _play(scenario, base, lambda root, args, env: run_process(
            root, args, env | {"RECONCILER_DEBUG": "1"}, cwd=base))

    bases = [tmp_path_factory.mktemp(s.name.split()[0]) for s in SCENARIOS]  # not thread-safe
    with ThreadPoolExecutor(max_workers=len(SCENARIOS)) as pool:
        return {o.scenario.name: o for o in pool.map(play, SCENARIOS, bases)}


# -- the checks -------------------------------------------------------------------------

@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_no_secret_in_output(name, outcomes):
    outcome = outcomes[name]
    assert len(outcome.runs) == len(outcome.scenario.steps)
    for run in outcome.runs.values():
        found = leaks(run.stdout) + leaks(run.stderr)
        assert not found, f"{name}: {run.args} printed the {found}"
        assert "Traceback" not in run.text(), f"{name}: {run.args}\n{run.text()}"


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_no_secret_sent_to_connectwise(name, outcomes):
    """Nothing secret in a URL (servers log them) nor in a record a run created."""
    outcome = outcomes[name]
    assert not leaks(" ".join(uri for _, uri in outcome.request_log)), name
    assert not leaks(outcome.state), f"{name}: a ticket or record holds a secret"


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_no_secret_in_written_files(name, outcomes):
    """plan.json, imported YAML, .reconciler/*, anything else the runs left behind."""
    written = []
    for folder, dirs, files in os.walk(outcomes[name].base):  # data/ is a link: not followed
        dirs[:] = [d for d in dirs if d != ".git"]  # git stores objects compressed
        for file in files:
            path = Path(folder, file)
            written.append(path.name)
            assert not leaks(path.read_bytes()), f"{path} holds the {leaks(path.read_bytes())}"
    if name == "writes":
        assert {"plan.json", "dunder.yaml"} <= set(written), "the runs wrote what they should"


def test_the_runs_did_the_work(outcomes):
    """Guards the checks above: the runs really planned, applied, imported, sent, and met
    the refusals they were set up for."""
    writes = {args: run.text() for args, run in outcomes["writes"].runs.items()}
    assert "Applied 8 of 8 changes" in writes["apply {out}/plan.json"]
    assert "wrote customers/dunder.yaml" in writes["import --company DUNDER"]
    assert '"outcome": "sent"' in writes[f"run-due --at {AT} --format json"]
    assert "ticket #" in writes[f"send-now billing --customer ACME --at {AT}"]
    assert "acme: hosted email security" in outcomes["reads"].runs["history"].text()
    assert "401" in outcomes["wrong key (401)"].runs["plan"].text()
    assert "403" in outcomes["read-only key (403)"].runs["apply --yes"].text()
    assert "LMPI refused the credentials" in outcomes["LMPI refuses (401)"].runs[
        f"run-due --at {AT}"].text()
    assert "complete until" in outcomes["collect"].runs["collect detections"].text()
    assert "refused the credentials (401" in outcomes["Email Security refuses (401)"].runs[
        "collect detections"].text()
    assert any(uri.startswith("/api/v1/log/policyeventlog?")
               for _, uri in outcomes["collect"].request_log)
    for name in ("rate_429", "rate_5xx", "rate_drop"):
        assert any(m != "GET" for m, _ in outcomes[name].request_log), f"{name}: no write"


# -- in process, every logger at DEBUG ------------------------------------------------------

IN_PROCESS = [
    READS,
    WRITES,
    Scenario("in-process 5xx", [(["plan"], EITHER), (["run-due", "--at", AT], EITHER)],
             faults=Faults(rate_5xx=0.2, seed=4)),
    WRONG_KEY,
    LMPI_REFUSES,
    COLLECTS,
    TMEMS_REFUSES,
]


@pytest.mark.parametrize("scenario", IN_PROCESS, ids=lambda s: s.name)
def test_no_secret_in_debug_logs(scenario, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: httpx, httpcore, reconciler.*
    outcome = _play(scenario, tmp_path, run_inprocess)
    assert caplog.records, "nothing was logged: the check would be empty"
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + (record.exc_text or "")
        assert not leaks(text), f"log record {record.name}: {text[:300]}"
    assert not leaks(caplog.text)
    for run in outcome.runs.values():
        assert not leaks(run.stdout + run.stderr), run.args


def test_sandbox_serve_banner_hides_a_custom_private_key():
    """`sandbox serve` prints how to log in, but a private key of your own never."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "RECONCILER_"))}
    env |= {"RECONCILER_SANDBOX_PRIVATE_KEY": PRIVATE, "NO_COLOR": "1"}
    with Process([sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", "0",
                  "--company", COMPANY, "--public-key", PUBLIC], env=env) as server:
        server.wait_for(rb"Press Ctrl-C to stop\.")
        assert server.stop(signal.SIGINT) == 0, server.output()
    banner = server.stdout
    assert b"listening on http://127.0.0.1:" in banner
    assert b"(custom, not shown)" in banner
    found = [name for name in leaks(banner + server.stderr) if name != "public key"]
    assert not found, banner
