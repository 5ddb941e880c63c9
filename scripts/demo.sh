#!/usr/bin/env bash
# The main job end to end against the embedded ConnectWise sandbox (grows with the product).
set -euo pipefail
cd "$(dirname "$0")/.."
R=.venv/bin/reconciler
step() { printf '\n\033[1m$ reconciler %s\033[0m\n' "$*"; }
step validate
$R validate
