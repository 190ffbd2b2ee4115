"""What QC's round trip heard in each clip, kept per clip, and QC listening ahead.

- `hear`: the round trip of a list of clips; a clip this job's QC heard before (same samples,
  model and language: a line that a resynth or clone pass kept) is not heard again. The text
  heard is kept per clip hash in the job's private work folder (text only: no audio, no
  embedding).
- `listen_ahead`: as soon as tts has written a pass's clips, their round trip starts in a
  background thread of the worker, while mix and mux run (ffmpeg, mostly one core); the qc
  stage then waits for it and finds the clips heard. It also embeds the clips for the voice
  check; those vectors are voice data, so they stay in the worker's memory and go to that
  worker's qc stage only (never written). It is only a head start: if it fails or the worker
  stops, the qc stage hears and embeds what is missing itself.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from typing import Callable, Sequence

import numpy as np

from media import modelpaths
from media.asr_batch import listener
from media.audio import load
from media.embeddings import registry as embedding_registry
from media.qc import MIN_VOICE_SECONDS
from media.roundtrip import transcribe_lines

from .lineplans import fetch_clip

__all__ = ["HEARD", "RATE", "hear", "listen_ahead", "wait_for_ahead", "round_trip_model", "clip_digest"]

log = logging.getLogger(__name__)
HEARD = "work/qc_heard.json"
RATE = 16000
_ahead: dict[tuple[int, int], threading.Thread] = {}
_voices: dict[tuple[int, int], dict[str, np.ndarray]] = {}  # clip digest -> embedding, in memory only
_ahead_lock = threading.Lock()


def round_trip_model(language: str, settings=None) -> str:
    """The fast model (tiny.en); for another language the mode's own ASR model."""
    if language != "en" and modelpaths.BUNDLED_WHISPER.endswith(".en"):
        return settings.asr_model if settings else modelpaths.BUNDLED_WHISPER
    return modelpaths.BUNDLED_WHISPER


def hear(workspace, clips: Sequence[np.ndarray], rate: int, *, model: str, language: str,
         on_error: Callable[[Exception], None] | None = None) -> tuple[list[str | None], int]:
    """(the text heard in each clip, None where the model could not listen; how many were known)."""
    keys = [_clip_key(clip, rate, model, language) for clip in clips]
    known = _read(workspace)
    todo = [i for i, key in enumerate(keys) if key not in known]
    fresh = (transcribe_lines([clips[i] for i in todo], rate, listener(model=model, language=language, on_error=on_error))
             if todo else [])
    for i, text in zip(todo, fresh):
        if text is not None:
            known[keys[i]] = text
    kept = {key: known[key] for key in keys if key in known}  # this pass's clips: what the next pass may keep
    with contextlib.suppress(OSError):
        workspace.path(HEARD).write_text(json.dumps(kept))
    return [known.get(key) for key in keys], len(clips) - len(todo)


def listen_ahead(workspace, pass_number: int, clip_names: Sequence[str], *, language: str, settings=None) -> None:
    """Start hearing a pass's clips (storage names, in line order) in the background
    (`DUBSITE_QC_LISTEN_AHEAD=0` turns it off: the qc stage then hears them itself)."""
    if os.environ.get("DUBSITE_QC_LISTEN_AHEAD", "1").strip().lower() in ("0", "false", "no", "off"):
        return
    key = (workspace.job_id, pass_number)
    names = list(clip_names)
    model = round_trip_model(language, settings)

    def work():
        try:
            clips = [load(fetch_clip(workspace, name), mono=True, sample_rate=RATE).samples for name in names]
            hear(workspace, clips, RATE, model=model, language=language)
            vectors = {}
            embedder = embedding_registry().select().engine
            for clip in clips:
                if len(clip) >= MIN_VOICE_SECONDS * RATE:
                    with contextlib.suppress(Exception):  # silent or too short after trimming: qc decides
                        vectors[clip_digest(clip)] = embedder.embed(clip, RATE).vector
            with _ahead_lock:
                _voices[key] = vectors
        except Exception as exc:  # noqa: BLE001 - only a head start: the qc stage hears what is missing
            log.info("qc listen-ahead of job %s pass %s stopped: %s", *key, exc)

    thread = threading.Thread(target=work, name=f"qc-ahead-{key[0]}-{key[1]}", daemon=True)
    with _ahead_lock:
        _ahead[key] = thread
    thread.start()


def wait_for_ahead(job_id: int, pass_number: int, timeout: float = 900.0) -> dict[str, np.ndarray] | None:
    """Wait for this worker's listen-ahead of the pass: the clips' embeddings by clip digest
    ({} if it could not embed), or None when none ran in this worker."""
    key = (job_id, pass_number)
    with _ahead_lock:
        thread = _ahead.pop(key, None)
    if thread is None:
        return None
    thread.join(timeout)
    with _ahead_lock:
        return _voices.pop(key, {})


def clip_digest(clip: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(clip, dtype=np.float32).tobytes()).hexdigest()[:32]


def _clip_key(clip: np.ndarray, rate: int, model: str, language: str) -> str:
    return f"{clip_digest(clip)}:{rate}:{model}:{language}"


def _read(workspace) -> dict[str, str]:
    try:
        data = json.loads(workspace.path(HEARD).read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
