"""Regenerates the command examples in README.md from real runs (never invented output).

Runs a scripted session against the embedded sandbox, on a throwaway copy of the
example fleet in a temp git repository, and replaces each block between
`<!-- example: NAME -->` and `<!-- /example -->` in the README with the commands and
their output. Run it whenever the commands' output changes:

    .venv/bin/python docs/examples.py README.md
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
RECONCILER = Path(sys.prefix) / "bin" / "reconciler"
BLOCK = re.compile(r"(<!-- example: (?P<name>[\w-]+) -->\n).*?(<!-- /example -->)", re.S)


@dataclass
class Example:
    """Commands shown under one name; `setup` shell lines run first and are not shown."""

    name: str
    commands: list[str]
    setup: list[str] = field(default_factory=list)
    max_lines: int = 40  # long outputs are cut, saying so
    env: dict[str, str] = field(default_factory=dict)
    serve: bool = False  # run `sandbox serve` on a free port; {port} in setup/commands


# The credentials of `sandbox serve`, as a real site's would be exported.
SERVED_SITE = {
    "CW_COMPANY_ID": "sandbox",
    "CW_PUBLIC_KEY": "sandbox-public",
    "CW_PRIVATE_KEY": "sandbox-private",
    "CW_CLIENT_ID": "6a1b4d2e-4c3f-4b8a-9d7e-1f2a3b4c5d6e",
}


def _steps() -> list[Example]:
    bad_acme = (
        "sed -i 's/day: 31/day: 32/; s/products: \\[wfbss, apex-one\\]/products: "
        "[wfbss, apex-one, wfbs]/; s/    every: week/    evry: week/' customers/acme.yaml"
    )
    return [
        Example("validate", ["validate"]),
        Example(
            "validate-errors", ["validate"], setup=["cp customers/acme.yaml ../acme.ok", bad_acme]
        ),
        Example("plan", ["plan"], setup=["cp ../acme.ok customers/acme.yaml"]),
        Example("plan-markdown", ["plan --customer 'g*' --format markdown"]),
        Example("plan-out", ["plan --out plan.json --customer acme --customer globex"]),
        Example("apply-saved", ["apply plan.json"]),
        Example("apply-yes", ["apply --yes"]),
        Example("plan-clean", ["plan --detailed-exitcode"]),
        Example("verify", ["verify --customer acme"]),
        Example(
            "import",
            ["import --company DUNDER"],
            setup=["rm -f customers/dunder.yaml"],
        ),
        Example("import-file", [], setup=[]),  # filled in below: shows the written file
        Example("schedule", ["schedule --from 2026-12-01 --to 2026-12-03"]),
        Example("run-due-dry", ["run-due --at 2026-12-01T06:30 --dry-run --customer acme"]),
        Example(
            "run-due",
            [
                "run-due --at 2026-12-01T06:30 --customer acme",
                "run-due --at 2026-12-01T06:30 --customer acme",
            ],
        ),
        Example(
            "plan-drift",
            ["plan --customer acme"],
            setup=[  # someone edits a billed quantity in ConnectWise, behind the tool
                "python3 -c \"from reconciler.runtime import open_runtime\n"
                "with open_runtime('.') as rt: rt.gateway.set_quantity(101, 1001, 40)\"",
            ],
        ),
        Example(
            "run-due-missed",
            [
                "run-due --at 2026-12-01T06:30 --customer stark",
                "send-now billing --customer stark --period 2026-10 --at 2026-12-01T07:00",
            ],
            setup=[  # Stark's run of November 1st never happened; a 10-day look-back
                "sed -i 's/^lookback_days: 62$/lookback_days: 10/' reconciler.yaml",
                "reconciler run-due --at 2026-10-01T06:30 --customer stark > /dev/null",
            ],
        ),
        Example(
            "waive",
            [
                "waive email_security --customer stark --period 2026-10 "
                "--reason 'no mailboxes in October'",
                "run-due --at 2026-12-01T07:30 --customer stark",
            ],
            setup=[],
        ),
        Example("send-now", ["send-now billing --customer globex"],
                setup=["git checkout -q reconciler.yaml"]),
        Example(
            "review",
            ["plan --changed-since main"],
            setup=[
                "rm -f customers/dunder.yaml",
                "reconciler apply --yes --customer acme > /dev/null",  # the drift above
                "git checkout -q -b acme-billing",
                "sed -i 's/day: 31/day: 5/; s/every: week/every: day/' customers/acme.yaml",
                "sed -i 's/^settings: global$/settings: custom/' customers/globex.yaml",
                "printf 'custom:\\n  billing:\\n    day: 1\\n    products: [wfbss, hes, cas]\\n'"
                " >> customers/globex.yaml",
                "sed -i 's/products: \\[wfbss, hes\\]/products: [wfbss]/' customers/stark.yaml",
            ],
            max_lines=60,
        ),
        Example(
            "history",
            ["history acme"],
            setup=[
                "git add -A && git commit -q -m 'Acme: bill on the 5th, daily HES summaries'",
                "git checkout -q main && git merge -q --ff-only acme-billing",
                "sed -i 's/    day: 1$/    day: 2/' reconciler.yaml",
                "git commit -q -am 'Global billing moves to the 2nd'",
            ],
        ),
        Example("history-global", ["history wayne"]),
        Example("history-json", ["history acme --format json"], max_lines=30),
        Example(
            "error-ref",
            ["plan --changed-since origin/main"],
        ),
        Example(
            "error-credentials",
            ["plan"],
            setup=["sed -i 's#url: sandbox #url: https://cw.example.com #' reconciler.yaml"],
        ),
        Example(
            "error-company",
            ["plan --customer acme"],
            setup=[
                "git checkout -q reconciler.yaml",
                "sed -i 's/company: ACME$/company: ACMEE/' customers/acme.yaml",
            ],
        ),
        Example(
            "error-agreement",
            ["plan --customer hooli"],
            setup=[
                "git checkout -q customers/acme.yaml",
                "sed -i 's/name: Hooli SaaS Protection/name: Hooli SaaS/' customers/hooli.yaml",
            ],
        ),
        Example(
            "error-401",
            ["verify --customer acme"],
            setup=["sed -i 's#url: sandbox #url: http://127.0.0.1:{port} #' reconciler.yaml"],
            env={
                "CW_COMPANY_ID": "sandbox",
                "CW_PUBLIC_KEY": "sandbox-public",
                "CW_PRIVATE_KEY": "not-the-key",
                "CW_CLIENT_ID": "6a1b4d2e-4c3f-4b8a-9d7e-1f2a3b4c5d6e",
            },
            serve=True,
        ),
        Example(
            "doctor",
            ["doctor"],
            setup=["git checkout -q reconciler.yaml",
                   "sed -i 's#url: sandbox #url: http://127.0.0.1:{port} #' reconciler.yaml"],
            env=SERVED_SITE,
            serve=True,
        ),
        Example(
            "doctor-401",
            ["doctor"],
            setup=["git checkout -q reconciler.yaml",
                   "sed -i 's#url: sandbox #url: http://127.0.0.1:{port} #' reconciler.yaml"],
            env={**SERVED_SITE, "CW_PRIVATE_KEY": "not-the-key"},
            serve=True,
        ),
        Example(
            "doctor-probe-403",
            ["doctor --write-probe --probe-company SANDBOXMSP"],
            setup=["git checkout -q reconciler.yaml",
                   "sed -i 's#url: sandbox #url: http://127.0.0.1:{port} #' reconciler.yaml"],
            env={**SERVED_SITE, "CW_PUBLIC_KEY": "sandbox-readonly",
                 "CW_PRIVATE_KEY": "sandbox-readonly-private"},
            serve=True,
            max_lines=60,
        ),
        Example(
            "error-yaml",
            ["validate customers/broken.yaml"],
            setup=[
                "git checkout -q customers/hooli.yaml reconciler.yaml",
                "printf 'name: [unclosed\\n' > customers/broken.yaml",
            ],
        ),
        Example(
            "error-safety",
            ["apply --yes"],
            setup=[
                "rm -f customers/broken.yaml && reconciler apply --yes > /dev/null",
                *(
                    f"sed -i '/^  billing:$/,/^    products:/d' customers/{slug}.yaml"
                    for slug in ("acme", "hooli", "stark", "umbrella")
                ),
            ],
        ),
        Example(
            "error-stale",
            ["apply plan.json"],
            setup=[
                "git checkout -q customers",
                "reconciler plan --out plan.json > /dev/null 2>&1",
                "sed -i 's/day: 5/day: 6/' customers/acme.yaml",
            ],
        ),
        Example(
            "error-send-now",
            ["send-now billing --customer acme"],
            setup=[
                "git checkout -q customers",
                "sed -i 's/products: \\[wfbss, apex-one\\]/products: [wfbss]/' customers/acme.yaml",
            ],
        ),        Example(
            "collect",
            [
                "collect detections --at 2026-11-25T06:07",
                "collect detections --at 2026-11-25T07:07",
                "collect detections --at 2026-11-29T06:07",
            ],
            setup=[
                "git checkout -q customers reconciler.yaml",
                "sed -i 's#^    path: data/detections$#    path: data/detections\\n"
                "    email_security:\\n      url: sandbox#' reconciler.yaml",
            ],
        ),
    ]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "GIT_", "RECONCILER_"))}
    return {
        **env,
        "NO_COLOR": "1",
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Ada Admin",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Admin",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "PATH": f"{RECONCILER.parent}:{env.get('PATH', '')}",
    }


_CLOCK = iter(range(1_000))  # commits made by setup lines get fixed, increasing dates


def _sh(script: str, cwd: Path, env: dict) -> None:
    # Fixed dates keep the commit ids (and so the README) the same from run to run.
    hour = next(_CLOCK)
    date = f"2026-11-{2 + hour // 24:02d}T{hour % 24:02d}:00:00+00:00"
    dated = {**env, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["bash", "-ec", script], cwd=cwd, env=dated, check=True)


def _run(command: str, cwd: Path, env: dict, max_lines: int) -> str:
    started = time.monotonic()
    done = subprocess.run(
        [str(RECONCILER), *shlex.split(command)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    print(f"{time.monotonic() - started:6.2f}s  reconciler {command}", file=sys.stderr)
    lines = done.stdout.rstrip("\n").splitlines()
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... ({len(lines) - max_lines} more lines)"]
    shown = [f"$ reconciler {command}", *lines]
    if done.returncode:
        shown.append(f"$ echo $?\n{done.returncode}")
    return "\n".join(shown)


def _serve(root: Path, env: dict) -> tuple[subprocess.Popen, int, str]:
    """`reconciler sandbox serve` on a free loopback port: (process, port, shown banner)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", 8080))  # the README's port, when it is free
        except OSError:
            probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = f"sandbox serve --port {port}"
    proc = subprocess.Popen(
        [str(RECONCILER), *shlex.split(command)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    banner = []
    for line in proc.stdout:  # type: ignore[union-attr]
        banner.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            break
    else:
        raise RuntimeError("sandbox serve did not start:\n" + "\n".join(banner))
    shown = "```console\n" + "\n".join([f"$ reconciler {command}", *banner]) + "\n```\n"
    return proc, port, shown


# The auditors' example: two months of the example fleet's sends, run as the hourly
# workflow would (the sandbox's clock following each run's --at), with the faults the
# audit looks for made as they happen in real life (tests/audit/test_audit_e2e.py makes
# the same ones and checks every finding).
AUDIT_LANDED = "2026-10-30T12:00:00+00:00"
AUDIT_ARGS = "audit --from 2026-10 --to 2026-11 --at 2027-01-02T12:00"
INITECH = "9a3e1f7b-5c2d-4a8e-91f6-3c0b8d2e7a03"
HAND_EDIT = """
from datetime import UTC, datetime
from reconciler.runtime import open_runtime
with open_runtime(".") as rt:
    rt.simulate_at(datetime(2027, 1, 1, 15, 12, tzinfo=UTC))  # someone, on New Year's Day
    ids = [a.id for a in rt.gateway.agreements_of_identifiers(["HOOLI"]).records if a.active]
    cas = next(x for x in rt.gateway.additions(ids).records
               if x.product == "TM-CAS" and x.cancelled_date is None)
    rt.gateway.set_quantity(cas.agreement_id, cas.id, cas.quantity + 7)
"""
SCREENSHOTS = PROJECT / "docs"


def _runs() -> list[str]:
    """run-due half an hour after the fleet landed, then every morning to 2026-12-31."""
    out = ["2026-10-30T08:30"]
    day = 31
    for month, days in ((10, 31), (11, 30), (12, 31)):
        while day <= days:
            out.append(f"2026-{month:02d}-{day:02d}T06:30")
            day += 1
        day = 1
    return out


def audit_session(tmp: Path, env: dict) -> dict[str, str]:
    """The auditors' examples on a fleet of their own; also writes the README's
    screenshots of the HTML report (docs/audit-*.png) when Chromium is there."""
    root = tmp / "audited"
    root.mkdir()
    for name in ("reconciler.yaml", "customers", "schemas", "data"):
        src = PROJECT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    quiet = "> /dev/null 2>&1 || true"  # failed sends are part of the story
    # one request at a time: tickets get their ids in the same order on every run
    _dated("sed -i 's/^  concurrency: 8/  concurrency: 1/' reconciler.yaml && "
           "printf '.reconciler/\\ndata/\\naudit.html\\n' > .gitignore && git init -q -b main "
           "&& git add -A && git commit -q -m 'Fleet of nine customers' && "
           f"reconciler apply --yes > /dev/null && sed -i '/^{INITECH}/d' data/usage/2026-10.csv",
           root, env, AUDIT_LANDED)
    for at in _runs():
        if at == "2026-11-21T06:30":  # Vandelay is off on main, a stale checkout sends
            _dated("sed -i 's/integration: enabled/integration: disabled/' "
                   "customers/vandelay.yaml && git commit -qam 'Vandelay: off while its "
                   "contract is renewed' && git checkout -q HEAD~1 -- customers/vandelay.yaml",
                   root, env, "2026-11-20T12:00:00+00:00")
        subprocess.run(["bash", "-c", f"reconciler run-due --at {at} {quiet}"], cwd=root,
                       env=env, check=True)
        if at == "2026-11-21T06:30":
            _dated("git commit -qam 'Vandelay: renewed, integration on'", root, env,
                   "2026-11-21T12:00:00+00:00")
    subprocess.run([sys.executable, "-c", HAND_EDIT], cwd=root, env=env, check=True)
    _dated("sed -i '/^6f1c2a9e/s/seats,45,42$/seats,48,45/' data/usage/2026-11.csv", root, env,
           AUDIT_LANDED)
    blocks = {
        "audit-markdown": _fenced(_run(f"{AUDIT_ARGS} --format markdown", root, env, 80)),
        "audit-text": _fenced(_run(f"{AUDIT_ARGS} --customer acme --customer globex",
                                   root, env, 40)),
    }
    _run(f"{AUDIT_ARGS} --out audit.html", root, env, 5)
    _screenshots(root / "audit.html", tmp)
    return blocks


def _dated(script: str, cwd: Path, env: dict, date: str) -> None:
    """A setup script whose commits are dated `date`."""
    dated = {**env, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["bash", "-ec", script], cwd=cwd, env=dated, check=True)


def _screenshots(report: Path, tmp: Path) -> None:
    """The report's first screen and a customer with findings, as the README shows them."""
    sys.path.insert(0, str(PROJECT))
    from tests.browser import browser_missing, page

    missing = browser_missing()
    if missing:
        print(f"screenshots not taken: {missing}", file=sys.stderr)
        return
    with page(tmp / "profile", width=1200, height=1000) as shown:
        shown.goto(report.as_uri(), wait_until="load")
        shown.screenshot(path=str(SCREENSHOTS / "audit-overview.png"))
        shown.locator("#c-hooli").scroll_into_view_if_needed()
        shown.evaluate("document.querySelector('#c-hooli').scrollIntoView()")
        shown.screenshot(path=str(SCREENSHOTS / "audit-customer.png"))


def _fenced(body: str) -> str:
    # A fence longer than any backtick run inside (markdown reports contain ```).
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", body)), default=0))
    return f"{fence}console\n{body}\n{fence}\n"


def generate() -> dict[str, str]:
    """Runs every example in order (they share one fleet) and returns name -> markdown."""
    blocks: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="reconciler-examples-") as tmp:
        root = Path(tmp, "fleet")
        root.mkdir()
        for name in ("reconciler.yaml", "customers", "schemas", "data"):
            src = PROJECT / name
            (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
        env = _env(Path(tmp))
        _sh(
            "printf '.reconciler/\\nplan.json\\n' > .gitignore && git init -q -b main && "
            "git add -A && git commit -q -m 'Fleet of nine customers'",
            root,
            env,
        )
        for example in _steps():
            server = _serve(root, env) if example.serve else None
            port = server[1] if server else 0
            if server:
                blocks["sandbox-serve"] = server[2]
            for line in example.setup:
                _sh(line.replace("{port}", str(port)), root, env)
            if example.name == "import-file":
                text = (root / "customers" / "dunder.yaml").read_text()
                blocks[example.name] = f"```yaml\n# customers/dunder.yaml\n{text}```\n"
                continue
            run_env = {**env, **example.env}
            outputs = [_run(c, root, run_env, example.max_lines) for c in example.commands]
            if server:
                server[0].terminate()
                server[0].wait(timeout=10)
            blocks[example.name] = _fenced("\n".join(outputs))
        blocks.update(audit_session(Path(tmp), env))
    return blocks


def update(readme: Path) -> list[str]:
    """Rewrites the example blocks of `readme`; returns the names it did not find there."""
    blocks = generate()
    text = readme.read_text(encoding="utf-8")
    found: set[str] = set()

    def fill(match: re.Match) -> str:
        name = match["name"]
        if name not in blocks:
            raise SystemExit(f"{readme}: unknown example {name!r}")
        found.add(name)
        return match.group(1) + blocks[name] + match.group(3)

    readme.write_text(BLOCK.sub(fill, text), encoding="utf-8")
    return sorted(set(blocks) - found)


if __name__ == "__main__":
    missing = update(Path(sys.argv[1] if len(sys.argv) > 1 else PROJECT / "README.md"))
    if missing:
        print("examples not used in the README:", ", ".join(missing))
