"""Voice probes kept on disk: every preset voice speaks the probe sentence and gets embedded
when a pass matches voices or QC compares lines, which cost each new worker process about a
minute of synthesis before (issue 11). A probe's figures depend only on the voice, the language,
the TTS engine's version and the embedding model, so they are cached on disk under that key.

Not biometric: these are the machine's own preset voices, never a person's recording.
MEDIA_CACHE_DIR picks the folder (default MODELS_DIR/.cache); an unwritable folder only turns
the disk cache off.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

from .config import models_dir
from .embeddings import Embedding

__all__ = ["cache_dir", "engine_version", "load", "store"]

FORMAT = 1
_PACKAGES = {"piper": "piper-tts", "xtts": "coqui-tts", "xtts-preset": "coqui-tts"}
_BINARIES = {"espeak": ["espeak-ng", "--version"], "flite": ["flite", "--version"]}


def cache_dir() -> Path:
    return Path(os.environ.get("MEDIA_CACHE_DIR") or models_dir() / ".cache") / "voice-probes"


@lru_cache(maxsize=None)
def engine_version(engine: str) -> str:
    """What would make the same voice key sound different: the engine package's version, or the
    binary's own version line; "unknown" (the key still holds the engine name) otherwise."""
    if engine in _PACKAGES:
        try:
            return metadata.version(_PACKAGES[engine])
        except metadata.PackageNotFoundError:
            return "unknown"
    argv = _BINARIES.get(engine)
    if argv and shutil.which(argv[0]):
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
            return (done.stdout or done.stderr).strip().splitlines()[0][:120] if (done.stdout or done.stderr) else "unknown"
        except (OSError, subprocess.SubprocessError):
            return "unknown"
    return "unknown"


def _path(*, voice_key: str, engine: str, language: str, embedder: str, model_id: str, text: str, how: str) -> Path:
    key = json.dumps({"format": FORMAT, "voice": voice_key, "engine": engine, "version": engine_version(engine),
                      "language": language, "embedder": embedder, "model": model_id, "text": text, "how": how},
                     sort_keys=True)
    return cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()}.json"


def load(**key) -> tuple[Embedding, float] | None:
    """(embedding, median F0 in Hz) of a cached probe, or None (absent, unreadable, stale format)."""
    try:
        data = json.loads(_path(**key).read_text())
        return Embedding.from_dict(data["embedding"]), float(data["f0"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(embedding: Embedding, f0: float, **key) -> None:
    """Written atomically (a reader never sees half a file); a failure only skips the cache."""
    path = _path(**key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as fh:
            json.dump({"embedding": embedding.as_dict(), "f0": float(f0) if np.isfinite(f0) else 0.0}, fh)
        os.replace(fh.name, path)
    except OSError:
        pass
