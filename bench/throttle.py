"""Benchmark: how close the client gets to ConnectWise's per-minute throttle, and that it
loses nothing there.

Generates a fleet (bench/plan's generator: N customers, 2% drifted, a third with an
explicit e-mail agreement) with a month of usage, serves the sandbox on 127.0.0.1 with
its per-minute throttle on (`--throttle`, default 600/min so a run stays short), and runs
the CLI as a user would, each command its own process: `plan --out`, `apply plan.json`,
`run-due` (every customer's billing is due). Twice, on a fresh sandbox each time:
1. the client's rate limit set to the throttle (connectwise.rate_limit_per_minute), as
   the documentation advises;
2. the client's limit above the throttle (the default 900/min against a site throttling
   at 600): only the 429 handling (Retry-After, every thread paused) keeps it going.
For each it prints, from the server's own log of every request:
- achieved requests/min as a fraction of what the throttle allows: a sliding window of L
  a minute lets N requests through in no less than 60 s x floor((N - 1) / L) (L at once,
  L more a minute later, ...), so the fraction is that least time over the time the run
  took from its first request to its last (1.0: never waiting on anything but the
  throttle; goal >= 0.9). Requests/min over the whole run is printed too: it exceeds the
  throttle because a sliding window lets a first minute's worth through at once;
- 429 answers (requests the throttle refused, then retried) and failed requests (those
  that never succeeded: a command exiting non-zero, or an error row; goal 0).
Usage: bench/throttle [--customers N] [--throttle PER_MIN] [--over PER_MIN]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work" / "throttle"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from plan import CREDENTIALS  # noqa: E402  (bench/plan.py: the fleet generator)
from plan import generate as generate_fleet  # noqa: E402

from reconciler.sandbox import Faults, create_app, serve  # noqa: E402

AT = "2026-12-01T06:30"  # every customer's billing for November is due
MONTHS = ("2026-11", "2026-12")  # billing day 1 customers bill December at AT


class Recorder:
    """WSGI middleware: (monotonic time, status) of every API request the server answers."""

    def __init__(self, app) -> None:
        self.app = app
        self.log: list[tuple[float, int]] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        def record(status, headers, exc_info=None):
            if "/apis/3.0/" in environ.get("PATH_INFO", ""):
                with self._lock:
                    self.log.append((time.monotonic(), int(status[:3])))
            return start_response(status, headers, exc_info)

        return self.app(environ, record)


def make_fleet(root: Path, n: int, client_limit: int) -> Path:
    """bench/plan's fleet plus tickets routing in the seed and usage files."""
    seed, _ = generate_fleet(root, n, unmanaged=0)
    base = yaml.safe_load((REPO / "reconciler" / "sandbox" / "seed.yaml").read_text())
    seed.update({k: base[k] for k in ("boards", "priorities")})
    seed_file = root / "seed.yaml"
    seed_file.write_text(yaml.safe_dump(seed, sort_keys=False))
    usage = root / "data" / "usage"
    usage.mkdir(parents=True)
    for month in MONTHS:
        rows = ["customer_id,product,service_plan,unit,provisioned,used"]
        for i in range(n):
            rows.append(f"tm-{i:05d},wfbss,Worry-Free Services Advanced,seats,{20 + i % 7},"
                        f"{18 + i % 7}")
            rows.append(f"tm-{i:05d},hes,Hosted Email Security,users,{30 + i % 5},")
        (usage / f"{month}.csv").write_text("\n".join(rows) + "\n")
    settings = yaml.safe_load((root / "reconciler.yaml").read_text())
    settings["connectwise"]["rate_limit_per_minute"] = client_limit
    settings["sources"]["usage"] = {"kind": "file", "path": "data/usage"}
    (root / "reconciler.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return seed_file


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "LMPI_"))}
    return subprocess.run([sys.executable, "-m", "reconciler", "--root", str(root), *args],
                          env=env | CREDENTIALS | {"NO_COLOR": "1"}, capture_output=True,
                          text=True, timeout=3600)


def throttle_fraction(times: list[float], limit: int) -> float | None:
    """Achieved requests/min as a fraction of what the throttle allows for this run.

    Through a sliding window of `limit` per 60 s, N requests need at least
    60 s x floor((N - 1) / limit) from the first to the last (`limit` at once, the next
    `limit` a minute later, ...); a run that took T has achieved N/T requests/min against
    at most N/T_min, so the fraction is T_min / T (1.0: the throttle was never left idle).
    None when the run fits in one window (nothing to measure)."""
    times = sorted(times)
    least = 60.0 * ((len(times) - 1) // limit)
    if not least:
        return None
    return least / (times[-1] - times[0])


def scenario(name: str, n: int, throttle: int, client_limit: int) -> dict:
    root = WORK / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    seed_file = make_fleet(root / "fleet", n, client_limit)
    recorder = Recorder(create_app(seed=seed_file, faults=Faults(throttle_per_minute=throttle)))
    failures: list[str] = []
    sent = 0
    with serve(recorder) as url:
        settings = root / "fleet" / "reconciler.yaml"
        settings.write_text(settings.read_text().replace("url: sandbox", f"url: {url}"))
        started = time.monotonic()
        steps = [(("plan", "--detailed-exitcode", "--out", str(root / "plan.json")), {0, 2}),
                 (("apply", str(root / "plan.json")), {0}),
                 (("run-due", "--at", AT, "--format", "json"), {0})]
        for args, ok in steps:
            done = cli(root / "fleet", *args)
            if done.returncode not in ok:
                failures.append(f"{args[0]} exited {done.returncode}: "
                                f"{(done.stderr or done.stdout).strip()[:300]}")
            elif args[0] == "run-due":
                rows = json.loads(done.stdout)["results"]
                failures += [f"{r['customer']} {r['outcome']}: {r['detail']}" for r in rows
                             if r["outcome"] != "sent"]
                sent = sum(r["outcome"] == "sent" for r in rows)
        elapsed = time.monotonic() - started
    log = recorder.log
    (root / "timeline.csv").write_text("seconds,status\n" + "".join(
        f"{t - log[0][0]:.3f},{status}\n" for t, status in log) if log else "")
    passed = [t for t, status in log if status != 429]
    return {"name": name, "client_limit": client_limit, "requests": len(log),
            "passed": len(passed), "throttled": len(log) - len(passed),
            "fraction": throttle_fraction(passed, throttle), "elapsed": elapsed,
            "span": (max(passed) - min(passed)) if passed else 0.0,
            "failures": failures, "sent": sent}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=400)
    ap.add_argument("--throttle", type=int, default=600, help="the sandbox's requests/minute")
    ap.add_argument("--over", type=int, default=900,
                    help="the client's limit in the second run (above the throttle)")
    args = ap.parse_args()
    print(f"{args.customers} customers; sandbox throttle {args.throttle}/min; "
          f"plan + apply + run-due at {AT}, each its own process")
    results = [scenario("at-throttle", args.customers, args.throttle, args.throttle),
               scenario("over-throttle", args.customers, args.throttle, args.over)]
    print(f"\n{'client limit':<26}{'requests':>9}{'429s':>6}{'failed':>7}{'minutes':>8}"
          f"{'req/min':>8}{'achieved/throttle':>19}")
    worst = 0
    for r in results:
        fraction = "n/a (<1 min)" if r["fraction"] is None else f"{r['fraction']:.3f}"
        label = f"{r['client_limit']}/min ({r['name']})"
        print(f"{label:<26}{r['requests']:>9}{r['throttled']:>6}{len(r['failures']):>7}"
              f"{r['span'] / 60:>8.2f}{r['passed'] / r['span'] * 60:>8.0f}{fraction:>19}")
        for failure in r["failures"][:5]:
            print(f"    {failure}")
        worst = max(worst, len(r["failures"]))
    print(f"\nbillings sent: {', '.join(str(r['sent']) for r in results)} of "
          f"{args.customers} each; goal: achieved/throttle >= 0.9 and 0 failed")
    ok = worst == 0 and all(r["fraction"] is not None and r["fraction"] >= 0.9 for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
