"""Benchmark: `reconciler history` on a generated fleet with a generated git history.

Builds a git repository of N customer files and M commits (each editing one customer's
billing day, every tenth editing reconciler.yaml's global policy), then in the same run
measures:
1. `history` of the whole fleet (incremental snapshots: one full load, then only the
   customer files each commit changed; deepdiff only where the plain views differ);
2. `history CUSTOMER` by file name (only that customer's file is ever loaded);
3. the naive baseline: the whole fleet loaded at every commit and its parent
   (`gitrefs.fleet_at`) and every customer diffed with deepdiff.
Both must report the same commits; it prints times and ratios against the baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reconciler.gitrefs import fleet_at
from reconciler.review.history import history
from reconciler.review.policy import customer_view, diff_views

REPO = Path(__file__).resolve().parents[1]


def git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def build_repo(root: Path, customers: int, commits: int) -> None:
    shutil.copy(REPO / "reconciler.yaml", root / "reconciler.yaml")
    (root / "customers").mkdir()
    template = (REPO / "customers" / "acme.yaml").read_text()
    for i in range(customers):
        text = template.replace("company: ACME", f"company: C{i:05d}").replace(
            "6f1c2a9e-0d4b-4c61-9a57-1b2f0e8c3a01", f"tm-{i:05d}"
        )
        if i % 2:  # half the fleet on global settings: reconciler.yaml edits reach them
            text = text.split("settings: custom")[0] + "settings: global\n"
        (root / "customers" / f"c{i:05d}.yaml").write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fleet")
    settings = root / "reconciler.yaml"
    for n in range(1, commits):
        if n % 10 == 0:
            settings.write_text(_set_global_day(settings.read_text(), 2 + n // 10 % 27))
        else:
            path = root / "customers" / f"c{(n * 14) % customers // 2 * 2:05d}.yaml"  # custom ones
            text = path.read_text()
            current = int(text.split("    day: ", 1)[1].split("\n", 1)[0])
            path.write_text(text.replace(f"    day: {current}\n", f"    day: {current % 28 + 1}\n"))
        git(root, "commit", "-q", "-am", f"edit {n}")


def _set_global_day(text: str, day: int) -> str:
    head, tail = text.split("notifications:", 1)
    before, after = tail.split("    day: ", 1)
    return f"{head}notifications:{before}    day: {day}\n" + after.split("\n", 1)[1]


def naive(root: Path) -> list[str]:
    """Every commit touching the fleet, compared whole with its parent."""
    out = git(root, "log", "--reverse", "--format=%H %P", "--", "reconciler.yaml", "customers")
    changed = []
    for line in out.splitlines():
        commit, *parents = line.split()
        head = fleet_at(root, commit)
        base = fleet_at(root, parents[0]) if parents else None
        before = {c.slug: customer_view(c, base.settings) for c in base.customers} if base else {}
        found = False
        for c in head.customers:
            if c.slug not in before or diff_views(before[c.slug], customer_view(c, head.settings)):
                found = True
        if found:
            changed.append(commit)
    return changed


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--commits", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-history-") as tmp:
        root = Path(tmp)
        _, build_s = timed(lambda: build_repo(root, args.customers, args.commits))
        print(f"generated {args.customers} customers, {args.commits} commits in {build_s:.1f}s")
        full, full_s = timed(lambda: history(root))
        one, one_s = timed(lambda: history(root, "c00007"))
        base, base_s = timed(lambda: naive(root))
    ours = [e.commit for e in reversed(full.entries)]
    assert ours == base, "incremental history and the naive baseline disagree"
    print(f"history (all customers)   {full_s:7.2f}s  {len(full.entries)} commits")
    print(f"history c00007            {one_s:7.2f}s  {len(one.entries)} commits")
    print(f"naive baseline            {base_s:7.2f}s  {len(base)} commits")
    print(f"ratio: all {base_s / full_s:.1f}x faster, one customer {base_s / one_s:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
