"""Benchmark: `reconciler validate` against check-jsonschema on a generated fleet.

Generates N customer files (1% with an injected schema error at a known line:col),
validates them with both tools in the same run and prints the times and the ratio. It
also checks that our run reports line:col for every error and flags exactly the files
that check-jsonschema flags. check-jsonschema is installed with ruamel.yaml.clib (its
fastest YAML set-up) into bench/.work/cj-venv on first run; nothing is added to the
project's own dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work"
CJ_VENV = WORK / "cj-venv"
PRODUCTS = ["wfbss", "apex-one", "hes", "tmems", "cas"]
HES = ["spam", "phishing", "virus", "malware", "ransomware", "bec", "blocked"]
EMS = {
    "standard": ["spam", "phishing", "malware", "ransomware", "bec", "suspicious_files"],
    "advanced": ["spam", "phishing", "malware", "malware_ml", "ransomware", "bec"],
}
TYPES = ["Managed Service", "TMRM Management Solution"]

# Injected faults: (description, function(lines) -> (lines, line, col)) on a custom file.
# Each is a schema error, so check-jsonschema must flag the same files.


def _replace(lines: list[str], prefix: str, new: str, col_of: str) -> tuple[list[str], int, int]:
    for i, line in enumerate(lines):
        if line.startswith(prefix):
            lines[i] = new
            return lines, i + 1, new.index(col_of) + 1
    raise AssertionError(prefix)


FAULTS = [
    ("unknown key", lambda ls: ([*ls, "colour: blue"], len(ls) + 1, 1)),
    ("bad enum", lambda ls: _replace(ls, "integration:", "integration: enabeld", "enabeld")),
    ("day out of range", lambda ls: _replace(ls, "    day:", "    day: 40", "40")),
    (
        "unsafe company",
        lambda ls: _replace(ls, "  company:", '  company: ACME "X"', "ACME"),
    ),
    ("wrong type", lambda ls: _replace(ls, "name:", "name: 1234", "1234")),
]


def customer_yaml(i: int, rng: random.Random) -> list[str]:
    """One realistic customer file (always custom, so every fault has a target line)."""
    billed = rng.sample(PRODUCTS, rng.randint(1, 3))
    lines = [
        "# yaml-language-server: $schema=../schemas/customer.schema.json",
        f"name: Customer {i:05d} Holdings",
        "connectwise:",
        f"  company: C{i:05d}",
        "trend_micro:",
        f"  customer_id: {rng.getrandbits(128):032x}",
        f"integration: {'enabled' if rng.random() < 0.95 else 'disabled'}",
        "agreements:",
    ]
    for product in billed:
        if rng.random() < 0.5:
            lines.append(f"  {product}: default")
        else:
            lines += [
                f"  {product}:",
                f"    type: {rng.choice(TYPES)}",
                f"    name: C{i:05d} {product} agreement",
            ]
    lines += [
        "settings: custom",
        "custom:",
        "  billing:",
        f"    day: {rng.randint(1, 31)}",
        f"    products: [{', '.join(billed)}]",
        "  hosted_email_security:",
        f"    every: {rng.choice(['day', 'week', 'month'])}",
        f"    detections: [{', '.join(rng.sample(HES, 3))}]",
    ]
    edition = rng.choice(["standard", "advanced"])
    lines += [
        "  email_security:",
        f"    edition: {edition}",
        f"    every: {rng.choice(['day', 'week', 'month'])}",
        f"    detections: [{', '.join(rng.sample(EMS[edition], 4))}]",
    ]
    return lines


def generate(root: Path, count: int, bad_every: int, seed: int = 7) -> dict[str, tuple]:
    """Write the fleet; return {relative path: (fault, line, col)} of the bad files."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    (root / "customers").mkdir(parents=True)
    shutil.copy(REPO / "reconciler.yaml", root / "reconciler.yaml")
    bad: dict[str, tuple] = {}
    for i in range(count):
        lines = customer_yaml(i, rng)
        rel = f"customers/c{i:05d}.yaml"
        if bad_every and i % bad_every == bad_every // 2:
            name, fault = FAULTS[len(bad) % len(FAULTS)]
            lines, line, col = fault(lines)
            bad[rel] = (name, line, col)
        (root / rel).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return bad


def ensure_check_jsonschema() -> Path:
    exe = CJ_VENV / "bin" / "check-jsonschema"
    if not exe.exists():
        print("installing check-jsonschema + ruamel.yaml.clib into bench/.work/cj-venv ...")
        subprocess.run([sys.executable, "-m", "venv", str(CJ_VENV)], check=True)
        subprocess.run(
            [str(CJ_VENV / "bin" / "pip"), "install", "-q", "check-jsonschema", "ruamel.yaml.clib"],
            check=True,
        )
    return exe


def timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall-clock and CPU (user + system) seconds of one run of `cmd`.

    CPU time is also reported because on a busy machine wall-clock time mostly measures
    the neighbours; both tools are single-threaded, so CPU time is a fair comparison.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--bad-every", type=int, default=100, help="1 bad file in N (0: none)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    cj = ensure_check_jsonschema()
    fleet = WORK / f"fleet-{args.files}"
    bad = generate(fleet, args.files, args.bad_every)
    files = sorted(str(p) for p in (fleet / "customers").glob("*.yaml"))
    ours_cmd = [sys.executable, "-m", "reconciler", "--root", str(fleet), "validate"]
    ours_cmd += ["--format", "json"]
    theirs_cmd = [str(cj), "--schemafile", str(REPO / "schemas/customer.schema.json"), *files]

    ours_wall, ours_cpu, theirs_wall, theirs_cpu = [], [], [], []
    for _ in range(args.runs):
        wall, cpu, ours = timed(ours_cmd)
        ours_wall.append(wall)
        ours_cpu.append(cpu)
        wall, cpu, theirs = timed(theirs_cmd)
        theirs_wall.append(wall)
        theirs_cpu.append(cpu)

    report = json.loads(ours.stdout)
    errors = [e for e in report["errors"] if e["severity"] == "error"]
    flagged = {e["path"] for e in errors}
    problems = []
    if any(e["line"] < 1 or e["col"] < 1 for e in errors):
        problems.append("an error without line:col")
    for rel, (fault, line, col) in bad.items():
        hits = [e for e in errors if e["path"] == rel]
        if not any(e["line"] == line and e["col"] == col for e in hits):
            problems.append(f"{rel}: {fault} not reported at {line}:{col}: {hits}")
    if flagged != set(bad):
        problems.append(f"flagged {len(flagged)} files, injected {len(bad)}")
    theirs_flagged = {
        str(Path(f).relative_to(fleet)) for f in files if f in theirs.stdout + theirs.stderr
    }
    if bad and theirs_flagged != set(bad):
        problems.append(
            f"check-jsonschema flagged {len(theirs_flagged)} files, injected {len(bad)}"
        )

    ow, oc = statistics.median(ours_wall), statistics.median(ours_cpu)
    tw, tc = statistics.median(theirs_wall), statistics.median(theirs_cpu)
    load = os.getloadavg()[0]
    print(f"fleet: {args.files} customer files + reconciler.yaml, {len(bad)} with an error")
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs; medians of {args.runs} runs")
    print("                        wall s    CPU s")
    print(f"reconciler validate   {ow:8.2f} {oc:8.2f}   ({len(errors)} errors, all at line:col)")
    print(f"check-jsonschema      {tw:8.2f} {tc:8.2f}   (ruamel.yaml.clib; JSON paths only)")
    print(f"ratio                 {tw / ow:7.2f}x {tc / oc:7.2f}x  faster")
    if problems:
        print("PROBLEMS:", *problems[:10], sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
