"""The review workflows keep the project's CI rules (beyond what the linters know)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.processes import QUICK_TIMEOUT, RUN_TIMEOUT

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(workflow: dict):
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


@pytest.mark.parametrize("name", ["pr.yml", "apply.yml", "drift.yml", "run-due.yml",
                                  "audit.yml"])
def test_actions_pinned_checkout_without_credentials_no_templates_in_scripts(name):
    workflow = load(name)
    text = (WORKFLOWS / name).read_text()
    assert workflow["permissions"] == {}, "default to no permissions; grant per job"
    for job in workflow["jobs"].values():
        uses = [s.get("uses", "") for s in job.get("steps", [])]
        for i, used in enumerate(uses):
            if used.startswith("./"):  # a local action: ours, from the checkout before it
                assert (WORKFLOWS.parents[1] / used / "action.yml").is_file(), used
                assert any(u.startswith("actions/checkout@") for u in uses[:i]), used
    for step in steps(workflow):
        if "uses" in step and not step["uses"].startswith("./.github/actions/"):
            assert PINNED.match(step["uses"]), f"{step['uses']} is not pinned by commit SHA"
            assert re.search(re.escape(step["uses"]) + r" # v\d", text), "say which version"
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        assert "${{" not in step.get("run", ""), f"{name}: pass values through env, not ${{{{ }}}}"
    for job in workflow["jobs"].values():
        assert "permissions" in job and "timeout-minutes" in job


def test_pr_plans_changed_customers_without_secrets_for_forks():
    pr = load("pr.yml")
    assert set(pr["on"]) == {"pull_request"}  # never pull_request_target
    plan, comment = pr["jobs"]["plan"], pr["jobs"]["comment"]
    assert plan["permissions"] == {"contents": "read"}
    script = "\n".join(s.get("run", "") for s in plan["steps"])
    assert 'plan --changed-since "origin/$BASE_REF" --format markdown' in script
    same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
    secret_envs = [
        value
        for step in plan["steps"]
        for value in step.get("env", {}).values()
        if "secrets." in str(value)
    ]
    assert len(secret_envs) == 4 and all(
        v.startswith(f"${{{{ {same_repo} && ") for v in secret_envs
    )
    assert same_repo in comment["if"]
    assert comment["permissions"] == {"pull-requests": "write"}
    assert not any(s.get("uses", "").startswith("actions/checkout@") for s in comment["steps"])
    sticky = comment["steps"][-1]["run"]
    assert "<!-- reconciler-plan -->" in sticky and "--method PATCH" in sticky


def test_apply_never_overlaps_and_needs_the_protected_environment():
    apply = load("apply.yml")
    assert apply["on"]["push"]["branches"] == ["main"]
    assert apply["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False}
    job = apply["jobs"]["apply"]
    assert job["environment"] == "production"
    assert "apply --yes" in "\n".join(s.get("run", "") for s in job["steps"])


def test_local_actions_keep_the_rules():
    """Composite actions run inside the callers' jobs: no templates in their scripts
    either, and the data branch is only ever read."""
    for path in sorted((WORKFLOWS.parent / "actions").glob("*/action.yml")):
        action = yaml.safe_load(path.read_text())
        assert action["runs"]["using"] == "composite"
        for step in action["runs"]["steps"]:
            assert "${{" not in step.get("run", ""), f"{path}: pass values through env"
            assert "push" not in step.get("run", ""), f"{path}: reads only"


def test_audit_runs_monthly_read_only_with_the_history_and_keeps_its_reports():
    audit = load("audit.yml")
    assert audit["on"]["schedule"][0]["cron"].split()[2:] == ["2", "*", "*"]  # monthly
    assert audit["concurrency"] == {"group": "reconciler-audit", "cancel-in-progress": False}
    job = audit["jobs"]["audit"]
    assert job["environment"] == "connectwise-read"  # the read-only API member
    assert job["permissions"] == {"contents": "read"}
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the policy in force comes from history
    run = step_named(audit, "audit", "Audit")
    assert all("secrets." in run["env"][v] for v in ("CW_COMPANY_ID", "CW_PRIVATE_KEY"))
    keep = step_named(audit, "audit", "Keep the report")
    assert keep["if"] == "always()"
    assert set(keep["with"]["path"].split()) == {"audit.html", "audit.json", "audit.md"}


AUDIT_FAKE = """echo "$*" > args.txt
for f in audit.html audit.json audit.md; do echo "report" > "$f"; done
echo "## reconciler audit" > audit.md
exit "${AUDIT_EXIT:-0}"
"""


@pytest.mark.parametrize(("today", "inputs", "args"), [
    ("2027 01", {}, "--from 2026-01 --to 2026-12"),  # January: the previous year in full
    ("2026 12", {}, "--from 2026-01 --to 2026-11"),
    ("2026 08", {"FROM": "2025-06", "TO": "2026-03"}, "--from 2025-06 --to 2026-03"),
    ("2026 08", {"TO": "2025-11"}, "--from 2025-01 --to 2025-11"),
])
def test_audit_covers_the_year_through_the_month_that_ended(tmp_path, today, inputs, args):
    step = step_named(load("audit.yml"), "audit", "Audit")
    (tmp_path / "bin").mkdir()
    fake(tmp_path / "bin", "date", f"echo '{today}'\n")
    fake(tmp_path / "bin", "reconciler", AUDIT_FAKE)
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "FAIL_ON": "money", "FROM": "", "TO": "",
           **inputs}
    done = run_step(step["run"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "args.txt").read_text().split() == [
        "audit", *args.split(), "--fail-on", "money", "--out", "audit.html", "--out",
        "audit.json", "--out", "audit.md"]
    assert summary.read_text() == "## reconciler audit\n"


def test_audit_findings_fail_the_job_and_the_summary_says_a_failed_run(tmp_path):
    step = step_named(load("audit.yml"), "audit", "Audit")
    (tmp_path / "bin").mkdir()
    fake(tmp_path / "bin", "reconciler", AUDIT_FAKE)
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "FAIL_ON": "money",
           "AUDIT_EXIT": "1"}
    done = run_step(step["run"], tmp_path, env)
    assert done.returncode == 1  # findings about money: the job fails, watchers hear
    assert (tmp_path / "summary.md").read_text() == "## reconciler audit\n"
    fake(tmp_path / "bin", "reconciler", "exit 1\n")  # failed before any report
    (tmp_path / "audit.md").unlink()
    done = run_step(step["run"], tmp_path, env)
    assert done.returncode == 1
    assert "failed (exit 1) before writing a report" in (tmp_path / "summary.md").read_text()


def fake(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text("#!/usr/bin/env bash\n" + script)
    path.chmod(0o755)


def run_step(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """A `run:` block as GitHub runs it (bash -e), with fakes first on PATH."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, "PATH": f"{cwd / 'bin'}:{os.environ['PATH']}", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=RUN_TIMEOUT,
    )


def step_named(workflow: dict, job: str, name: str) -> dict:
    return next(s for s in workflow["jobs"][job]["steps"] if s.get("name") == name)


@pytest.mark.parametrize(
    ("plan_exit", "job_exit", "says"),
    [
        (0, 0, "No drift"),
        (2, 1, "::error title=Drift::"),
        (1, 1, "::error title=Plan failed::reconciler plan exited 1"),
    ],
)
def test_drift_runs_nightly_and_fails_on_drift(tmp_path, plan_exit, job_exit, says):
    drift = load("drift.yml")
    assert drift["on"]["schedule"][0]["cron"]
    step = step_named(drift, "drift", "Plan against ConnectWise")
    assert "plan --detailed-exitcode" in step["run"]
    (tmp_path / "bin").mkdir()
    fake(tmp_path / "bin", "reconciler", f"echo '## plan'\nexit {plan_exit}\n")
    summary = tmp_path / "summary.md"
    done = run_step(step["run"], tmp_path, {"GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == job_exit, done.stderr
    assert says in done.stdout
    assert summary.read_text() == "## plan\n"


@pytest.mark.parametrize("existing", ["", "4242"])
def test_pr_comment_is_created_once_then_updated(tmp_path, existing):
    step = step_named(load("pr.yml"), "comment", "Create or update the comment")
    (tmp_path / "bin").mkdir()
    # A fake gh: logs its arguments, answers the comment listing with `existing`.
    fake(
        tmp_path / "bin",
        "gh",
        f"""echo "$*" >> gh.log
case "$*" in *--paginate*) [ -n "{existing}" ] && echo {existing} ;; esac
for a in "$@"; do case "$a" in body=@*) cp "${{a#body=@}}" posted.md ;; esac; done
""",
    )
    (tmp_path / "comment.md").write_text("## reconciler plan\n\nno changes\n")
    env = {"PR": "7", "GITHUB_REPOSITORY": "msp/fleet", "RUN_URL": "https://example.invalid/r/1"}
    done = run_step(step["run"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "gh.log").read_text().splitlines()
    assert calls[0].startswith("api --paginate repos/msp/fleet/issues/7/comments")
    if existing:
        assert calls[1].startswith("api --method PATCH repos/msp/fleet/issues/comments/4242")
    else:
        assert calls[1].startswith("api --method POST repos/msp/fleet/issues/7/comments")
    posted = (tmp_path / "posted.md").read_text()
    assert posted.startswith("<!-- reconciler-plan -->\n## reconciler plan")
    assert "https://example.invalid/r/1" in posted


def test_pr_comment_too_long_points_to_the_artifact(tmp_path):
    step = step_named(load("pr.yml"), "comment", "Create or update the comment")
    (tmp_path / "bin").mkdir()
    fake(
        tmp_path / "bin",
        "gh",
        """for a in "$@"; do case "$a" in body=@*) cp "${a#body=@}" posted.md ;; esac; done
""",
    )
    (tmp_path / "comment.md").write_text("x" * 70_000)
    env = {"PR": "7", "GITHUB_REPOSITORY": "msp/fleet", "RUN_URL": "https://example.invalid/r/1"}
    assert run_step(step["run"], tmp_path, env).returncode == 0
    posted = (tmp_path / "posted.md").read_text()
    assert len(posted) < 1000 and "too long for a comment" in posted


@pytest.mark.parametrize(
    ("validate", "plan", "fork", "says", "not_says"),
    [
        # the plan brings its own heading: none is added above it
        ("0", "0", "false", "## plan body", "## reconciler plan"),
        ("1", "", "false", "**Validation failed**: nothing was planned.", "plan body"),
        ("0", "1", "false", "**The plan has errors** (exit 1)", "forks get no ConnectWise"),
        ("0", "1", "true", "Pull requests from forks get no ConnectWise credentials", "nope"),
    ],
)
def test_pr_comment_text_says_what_happened(tmp_path, validate, plan, fork, says, not_says):
    step = step_named(load("pr.yml"), "plan", "Write the comment")
    (tmp_path / "bin").mkdir()
    (tmp_path / "validate.txt").write_text("customers/acme.yaml:3:1: error: bad\n")
    (tmp_path / "plan.md").write_text("## plan body\n")
    (tmp_path / "plan-errors.txt").write_text("error: ConnectWise credentials ...\n")
    summary = tmp_path / "summary.md"
    env = {
        "VALIDATE_STATUS": validate,
        "PLAN_STATUS": plan,
        "FROM_FORK": fork,
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = run_step(step["run"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    comment = (tmp_path / "comment.md").read_text()
    assert says in comment and not_says not in comment
    assert summary.read_text() == comment


@pytest.mark.parametrize(("url", "skips"), [("sandbox", True), ("https://cw.example.com", False)])
def test_drift_skips_the_ephemeral_sandbox(tmp_path, url, skips):
    workflow = load("drift.yml")
    step = step_named(workflow, "drift", "Which ConnectWise")
    plan = step_named(workflow, "drift", "Plan against ConnectWise")
    assert plan["if"] == "steps.target.outputs.url != 'sandbox'"
    project = Path(__file__).resolve().parents[2]
    shutil.copytree(project / "customers", tmp_path / "customers")
    settings = (project / "reconciler.yaml").read_text()
    (tmp_path / "reconciler.yaml").write_text(settings.replace("url: sandbox", f"url: {url}"))
    (tmp_path / "bin").mkdir()
    fake(tmp_path / "bin", "python", f'exec "{sys.executable}" "$@"\n')  # the project's venv
    output = tmp_path / "output"
    done = run_step(step["run"], tmp_path, {"GITHUB_OUTPUT": str(output)})
    assert done.returncode == 0, done.stderr
    assert output.read_text() == f"url={url}\n"
    assert ("::notice title=No drift check::" in done.stdout) is skips


def test_run_due_collects_first_and_only_the_collector_may_write():
    workflow = load("run-due.yml")
    collect, send = workflow["jobs"]["collect"], workflow["jobs"]["run-due"]
    assert collect["permissions"] == {"contents": "write"}
    assert send["permissions"] == {"contents": "read"}
    assert send["needs"] == "collect" and send["if"] == "${{ !cancelled() }}"
    secrets = {job: {v for s in workflow["jobs"][job]["steps"] for v in s.get("env", {}).values()
                     if "secrets." in str(v)} for job in ("collect", "run-due")}
    assert secrets["collect"] == {"${{ secrets.TMEMS_ACCOUNT }}", "${{ secrets.TMEMS_API_KEY }}"}
    assert not any("TMEMS" in v for v in secrets["run-due"])
    assert workflow["concurrency"] == {"group": "run-due", "cancel-in-progress": False}


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True, timeout=QUICK_TIMEOUT).stdout


@pytest.fixture
def data_remote(tmp_path):
    """A bare repository standing for github.com/<owner>/<repo>.git."""
    server = tmp_path / "server"
    (server / "owner").mkdir(parents=True)
    git("init", "--quiet", "--bare", str(server / "owner" / "fleet.git"), cwd=tmp_path)
    env = {"GITHUB_SERVER_URL": f"file://{server}", "GITHUB_REPOSITORY": "owner/fleet",
           "GITHUB_RUN_ID": "77", "GH_TOKEN": "ghs_not-a-real-token",
           "STORE": "data/collected/email_security", "DATA_BRANCH": "reconciler-data",
           "GIT_CONFIG_GLOBAL": "/dev/null"}
    return server / "owner" / "fleet.git", env


def collector(tmp_path: Path, day: str, exit_code: int) -> None:
    """A fake `reconciler` that writes one day file into the store, then exits."""
    (tmp_path / "bin").mkdir(exist_ok=True)
    fake(tmp_path / "bin", "reconciler",
         f'echo \'{{"day": "{day}"}}\' > "$STORE/{day}.json"\n'
         f'touch "$STORE/.lock"\necho \'{{"ok": {str(exit_code == 0).lower()}}}\'\n'
         f"exit {exit_code}\n")


def test_collected_counts_are_committed_to_the_data_branch_run_after_run(tmp_path, data_remote):
    remote, env = data_remote
    step = step_named(load("run-due.yml"), "collect", "Collect and keep on the data branch")
    assert step["if"] == "steps.store.outputs.path != ''"
    work = tmp_path / "work"
    work.mkdir()
    collector(work, "2026-11-24", 0)
    first = run_step(step["run"], work, env)
    assert first.returncode == 0, first.stderr
    assert git("ls-tree", "--name-only", "reconciler-data", cwd=remote) == "2026-11-24.json\n"
    collector(work, "2026-11-25", 1)  # a run that failed part-way keeps what it read
    second = run_step(step["run"], work, env)
    assert second.returncode == 1
    assert git("ls-tree", "--name-only", "reconciler-data", cwd=remote).split() == [
        "2026-11-24.json", "2026-11-25.json"]  # never .lock
    log = git("log", "--format=%s", "reconciler-data", cwd=remote).splitlines()
    assert log == ["collect detections, run 77", "collect detections, run 77"]
    collector(work, "2026-11-25", 0)  # nothing new: no empty commit
    assert run_step(step["run"], work, env).returncode == 0
    assert len(git("log", "--format=%s", "reconciler-data", cwd=remote).splitlines()) == 2
    assert "ghs_not-a-real-token" not in first.stdout + first.stderr + second.stdout


def fetch_counts_step() -> dict:
    """The one step of the local action that checks out the collected counts."""
    action = yaml.safe_load((WORKFLOWS.parent / "actions" / "collected-counts" / "action.yml")
                            .read_text())
    (step,) = action["runs"]["steps"]
    return step


@pytest.mark.parametrize(("workflow", "job"), [("run-due.yml", "run-due"),
                                               ("audit.yml", "audit")])
def test_run_due_and_audit_fetch_the_collected_counts_read_only(workflow, job):
    used = step_named(load(workflow), job, "Fetch the collected counts")
    assert used["uses"] == "./.github/actions/collected-counts"
    assert used["with"] == {"token": "${{ github.token }}"}
    assert load(workflow)["jobs"][job]["permissions"] == {"contents": "read"}


def test_run_due_reads_the_data_branch_or_warns_when_there_is_none(tmp_path, data_remote):
    _, env = data_remote
    step = fetch_counts_step()
    work = tmp_path / "work"
    (work / "bin").mkdir(parents=True)
    fake(work / "bin", "python", 'echo "data/collected/email_security"\n')  # the setting
    missing = run_step(step["run"], work, env)
    assert missing.returncode == 0 and "::warning title=Nothing collected yet::" in missing.stdout
    collector(work, "2026-11-24", 0)
    collect = step_named(load("run-due.yml"), "collect", "Collect and keep on the data branch")
    assert run_step(collect["run"], work, env).returncode == 0
    shutil.rmtree(work / "data")
    done = run_step(step["run"], work, env)
    assert done.returncode == 0, done.stderr
    assert (work / "data/collected/email_security/2026-11-24.json").is_file()


def test_an_unreachable_data_branch_fails_the_collection_and_creates_nothing(tmp_path, data_remote):
    _, env = data_remote
    step = step_named(load("run-due.yml"), "collect", "Collect and keep on the data branch")
    work = tmp_path / "work"
    work.mkdir()
    collector(work, "2026-11-24", 0)
    done = run_step(step["run"], work, {**env, "GITHUB_REPOSITORY": "owner/absent"})
    assert done.returncode == 1 and "::error title=Data branch unreachable::" in done.stdout
    assert not (work / "data" / "collected" / "email_security").exists()


@pytest.mark.parametrize(("validate", "plan", "plan_md", "first"), [
    ("0", "0", "## reconciler plan\n\n**Billing impact: -180.00 a month (1 customer, 1 "
     "product).**\n\nplan\n", "**Billing impact: -180.00 a month (1 customer, 1 product).**"),
    ("0", "1", "", "**The plan has errors** (exit 1):"),
    ("1", "", "", "**Validation failed**: nothing was planned."),
])
def test_the_comment_opens_with_one_heading_and_the_billing_impact(tmp_path, validate, plan,
                                                                   plan_md, first):
    step = step_named(load("pr.yml"), "plan", "Write the comment")
    for name, text in {"plan.md": plan_md, "validate.txt": "acme.yaml:3:1: error",
                       "plan-errors.txt": "error: ConnectWise refused"}.items():
        (tmp_path / name).write_text(text)
    env = {"VALIDATE_STATUS": validate, "PLAN_STATUS": plan, "FROM_FORK": "false",
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    done = run_step(step["run"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "comment.md").read_text().splitlines()
    assert lines[:3] == ["## reconciler plan", "", first]
    assert lines.count("## reconciler plan") == 1
