#!/usr/bin/env bash
# The whole suite on SQLite, then every database test again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
export DUBSITE_SECRET_KEY=${DUBSITE_SECRET_KEY:-test-only-secret}
unset DATABASE_URL REDIS_URL DEBUG
PY=.venv/bin/python
echo "== tests on SQLite =="
$PY -m pytest -q "$@"
echo "== database tests on PostgreSQL =="
DATABASE_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/dubsite} $PY -m pytest -q -m django_db "$@"
