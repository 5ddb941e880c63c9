#!/usr/bin/env bash
# The main job end to end against the embedded ConnectWise sandbox:
# validate -> verify -> plan (changes) -> saved plan -> apply -> plan (no changes)
# -> upcoming sends -> run-due (sends) -> run-due again (nothing sent twice)
# -> Email Security detections collected hourly, and a summary sent from them
# -> an audit of what was sent.
# The sandbox starts from its packaged seed each time, so the demo is repeatable.
set -euo pipefail
cd "$(dirname "$0")/.."
R=.venv/bin/reconciler
AT=2026-12-01T12:00:00-05:00   # a fixed clock: the shipped usage data covers Sep-Dec 2026

step() { printf '\n\033[1m$ reconciler %s\033[0m\n' "$*"; }
expect() {  # expect CODE CMD...: run a step and insist on its exit code
  local want=$1; shift
  step "$@"
  set +e; $R "$@"; local got=$?; set -e
  if [ "$got" != "$want" ]; then echo "demo: expected exit $want, got $got" >&2; exit 1; fi
}

rm -rf .reconciler && mkdir -p .reconciler

expect 0 validate
expect 0 verify
expect 2 plan --detailed-exitcode
expect 0 plan --out .reconciler/plan.json --format markdown
expect 0 apply .reconciler/plan.json
expect 0 plan --detailed-exitcode
expect 0 schedule --from 2026-11-29 --to 2026-12-01
expect 0 run-due --at "$AT" --dry-run
expect 0 run-due --at "$AT"
expect 0 run-due --at "$AT"
if git rev-parse --git-dir >/dev/null 2>&1; then expect 0 history acme; fi

# A pull request's view: a throwaway git copy of the fleet where Acme moves its billing day;
# plan --changed-since plans only Acme and adds the policy review (what changes, which sends move).
pr=$(mktemp -d); trap 'rm -rf "$pr"' EXIT
cp -r reconciler.yaml customers data "$pr"/ && printf '.reconciler/\n' > "$pr/.gitignore"
git -C "$pr" init -q -b main && git -C "$pr" add -A
git -C "$pr" -c user.name=Demo -c user.email=demo@example.com commit -qm "example fleet"
sed -i 's/day: 31/day: 5/' "$pr/customers/acme.yaml"
expect 0 --root "$pr" plan --changed-since main
# Email Security detections collected from the simulated Trend Micro Email Security API:
# hourly runs keep what its 72-hour log window would forget; run-due sends from them.
col=$(mktemp -d); trap 'rm -rf "$pr" "$col"' EXIT
cp -r reconciler.yaml customers data "$col"/
sed -i 's#^    path: data/detections$#    path: data/detections\n    email_security:\n      url: sandbox#' \
  "$col/reconciler.yaml"
expect 0 --root "$col" collect detections --at 2026-11-25T06:07
expect 0 --root "$col" collect detections --at 2026-11-25T07:07
expect 0 --root "$col" run-due --at 2026-11-25T07:30 --customer initech --dry-run
# An auditor's view of what run-due just sent: a throwaway git copy of the fleet, as if it
# had landed on main two hours before, with this sandbox's state. Every period due since
# then was sent on time, under that policy, with the source's numbers.
aud=$(mktemp -d); trap 'rm -rf "$pr" "$col" "$aud"' EXIT
cp -r reconciler.yaml customers data .reconciler "$aud"/
git -C "$aud" init -q -b main && git -C "$aud" add reconciler.yaml customers
GIT_AUTHOR_DATE=2026-12-01T10:00:00-05:00 GIT_COMMITTER_DATE=2026-12-01T10:00:00-05:00 \
  git -C "$aud" -c user.name=Demo -c user.email=demo@example.com commit -qm "example fleet"
expect 0 --root "$aud" audit --from 2026-10 --to 2026-12 --at "$AT"
printf '\nDemo finished: every command above ran against the embedded sandbox (.reconciler/).\n'
