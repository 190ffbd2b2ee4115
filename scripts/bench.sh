#!/usr/bin/env bash
# Speed and memory figures (not timed tests): engines, then the whole pipeline per mode.
set -euo pipefail
cd "$(dirname "$0")/.."
export DUBSITE_SECRET_KEY=${DUBSITE_SECRET_KEY:-bench-only-secret}
PY=.venv/bin/python
for script in tests/bench/bench_*.py; do
  echo "== $script"
  $PY "$script"
done
