"""Importing media bounds oneDNN's primitive cache (media/__init__.py says why: speaker
embeddings of clips of every length filled it with ~450 MB over a long diarization); a value
the operator sets is kept."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import media, os; print(os.environ['ONEDNN_PRIMITIVE_CACHE_CAPACITY'])"


def _capacity(**env) -> str:
    base = {k: v for k, v in os.environ.items() if k != "ONEDNN_PRIMITIVE_CACHE_CAPACITY"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**base, **env}, capture_output=True,
                         text=True, timeout=60, check=True)
    return out.stdout.strip()


def test_media_bounds_the_onednn_cache_unless_the_operator_chose():
    assert int(_capacity()) == 16
    assert _capacity(ONEDNN_PRIMITIVE_CACHE_CAPACITY="0") == "0"
