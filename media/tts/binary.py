"""Running a TTS program (espeak-ng, flite) that writes a WAV: argument list, timeout, and one
mapping of its failures onto the chain's errors (could not start: unavailable; timed out or no
audio: failed, so the chain goes on)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import EngineFailed, EngineUnavailable

__all__ = ["run_to_wav"]


def run_to_wav(args: list[str], wav: Path, *, name: str, timeout: float, stdin: bytes | None = None) -> None:
    try:
        proc = subprocess.run(args, input=stdin, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise EngineFailed(f"{name} timed out after {timeout:.0f} s") from exc
    except OSError as exc:
        raise EngineUnavailable(f"{name} could not start: {exc}") from exc
    if proc.returncode != 0 or not wav.is_file() or wav.stat().st_size <= 44:
        err = proc.stderr.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
        raise EngineFailed(f"{name} produced no audio: {err}")
