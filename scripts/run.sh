#!/usr/bin/env bash
# Run the app locally on SQLite: migrate, demo users + demo episode + its dub job,
# a django-q2 worker in the background and the web server in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=${DEBUG:-1}
# A per-run key is fine for a local demo (sessions end on restart); production sets its own.
export DUBSITE_SECRET_KEY=${DUBSITE_SECRET_KEY:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')}
PY=.venv/bin/python
# Series refs are stored encrypted, so the local demo needs a key that survives restarts: one is
# made once into var/ (readable by this user only). Production sets DUBSITE_ENCRYPTION_KEYS itself.
if [ -z "${DUBSITE_ENCRYPTION_KEYS:-}" ]; then
  mkdir -p var
  [ -s var/demo-encryption.key ] || (umask 077; $PY -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' > var/demo-encryption.key)
  export DUBSITE_ENCRYPTION_KEYS=$(cat var/demo-encryption.key)
fi
$PY manage.py migrate --noinput -v0
$PY manage.py demo --submit
$PY manage.py qcluster &
CLUSTER=$!
trap 'kill -INT $CLUSTER 2>/dev/null; wait $CLUSTER 2>/dev/null' EXIT
echo "dubsite: http://127.0.0.1:${PORT:-8000}/  (log in with a demo user printed above; API docs at /api/docs)"
$PY manage.py runserver "127.0.0.1:${PORT:-8000}"
