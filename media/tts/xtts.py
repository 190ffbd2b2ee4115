"""Coqui XTTS from MODELS_DIR/xtts: voice cloning from a reference clip, or preset speakers.

Layout: config.json, model.pth, vocab.json (+ speakers_xtts.pth for presets). Loaded once per
process through media.cache; conditioning latents of a reference clip are cached too, so a
character's lines reuse them.
"""
from __future__ import annotations

import hashlib
import importlib.util
import re
import threading
import zlib
from pathlib import Path

import numpy as np

from .. import modelpaths
from ..cache import models
from ..errors import EngineFailed, EngineUnavailable
from .base import EngineOutput, TtsRequest, as_mono_float, language_base

__all__ = ["XttsCloneEngine", "XttsPresetEngine", "load_xtts", "split_text", "MIN_REF_SECONDS"]

MIN_REF_SECONDS = 1.0
PIECE_PAUSE = 0.15  # seconds between the pieces of a long line
# XTTS speaks one line at a time even when lines are spoken on several threads (jobs.stages.tts):
# its per-line seed goes through torch's process-wide RNG, and one inference already uses the cores
XTTS_LOCK = threading.Lock()


def _package_ok() -> tuple[bool, str]:
    # find_spec, not import: importing TTS pulls in torch and transformers (~1 GB) just to answer
    if importlib.util.find_spec("TTS") is None:
        return False, "coqui-tts not installed (package TTS not found)"
    return True, ""


def _xtts_path() -> tuple[Path | None, str]:
    ok, reason = _package_ok()
    if not ok:
        return None, reason
    path, reason = modelpaths.xtts_dir()
    if path is None:
        return None, f"no XTTS weights: {reason}"
    return path, str(path)


def _build(path: Path):
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.models.xtts import Xtts

    cfg = XttsConfig()
    cfg.load_json(str(path / "config.json"))
    model = Xtts(cfg)  # same as Xtts.init_from_config(cfg), which is deprecated in 0.28
    model.load_checkpoint(cfg, checkpoint_dir=str(path), eval=True)
    return model


def load_xtts(path: Path):
    """The XTTS model in `path`, loaded once per process (keyed by path and weight mtime)."""
    stamp = (path / "model.pth").stat().st_mtime_ns
    try:
        return models.get(f"xtts:{path}:{stamp}", lambda: _build(path))
    except Exception as exc:  # torch/coqui raise many types; one clear, chain-able reason
        raise EngineFailed(f"XTTS in {path} failed to load: {exc}") from exc


def _xtts_language(model, language: str) -> str:
    base = language_base(language)
    lang = "zh-cn" if base == "zh" else base
    if lang not in model.config.languages:
        raise EngineUnavailable(f"XTTS does not speak {language!r}")
    return lang


def _seed(request: TtsRequest) -> int:
    if request.seed is not None:
        return int(request.seed)
    return zlib.crc32(request.text.encode("utf-8"))  # same line, same take


def split_text(text: str, limit: int) -> list[str]:
    """Sentences packed into pieces of at most `limit` characters (XTTS degrades past its
    per-language limit; coqui's own splitter needs spaCy, which is not installed)."""
    pieces: list[str] = []
    for sentence in re.split(r"(?<=[.!?;:])\s+", text.strip()):
        while len(sentence) > limit:  # one very long sentence: cut at the last space before the limit
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if pieces and len(pieces[-1]) + 1 + len(sentence) <= limit:
            pieces[-1] += " " + sentence
        elif sentence:
            pieces.append(sentence)
    return [p for p in pieces if p]


def _infer(model, request: TtsRequest, latent, embedding) -> np.ndarray:
    import torch

    lang = _xtts_language(model, request.language)
    cfg = model.config
    limit = model.tokenizer.char_limits.get(lang.split("-")[0], 250)
    rate = int(model.args.output_sample_rate)
    parts: list[np.ndarray] = []
    try:
        with torch.random.fork_rng(devices=[]):  # seed locally; leave the global RNG alone
            torch.manual_seed(_seed(request))
            for piece in split_text(request.text, limit):
                out = model.inference(
                    piece, lang, latent, embedding,
                    temperature=cfg.temperature, length_penalty=cfg.length_penalty,
                    repetition_penalty=cfg.repetition_penalty, top_k=cfg.top_k, top_p=cfg.top_p, speed=request.speed,
                )
                if parts:
                    parts.append(np.zeros(int(PIECE_PAUSE * rate), dtype=np.float32))
                parts.append(as_mono_float(out["wav"]))
    except Exception as exc:  # tokenizer/GPT errors of many types: let the chain go on
        raise EngineFailed(f"XTTS inference failed: {exc}") from exc
    wav = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    if wav.size == 0 or not np.isfinite(wav).all():
        raise EngineFailed("XTTS produced empty or invalid audio")
    return wav


class XttsCloneEngine:
    """Clone the voice of `request.ref_wav` (only when `request.clone` is set)."""

    name = "xtts"

    def availability(self) -> tuple[bool, str]:
        path, reason = _xtts_path()
        return (path is not None), reason

    def applies(self, request: TtsRequest) -> tuple[bool, str]:
        if not request.clone:
            return False, "cloning not requested"
        if not request.ref_wav:
            return False, "no reference clip for this voice"
        return True, ""

    def _latents(self, model, path: Path, ref: Path):
        import soundfile as sf

        try:
            info = sf.info(str(ref))
        except (OSError, RuntimeError) as exc:
            raise EngineFailed(f"reference clip {ref.name} unreadable: {exc}") from exc
        seconds = info.frames / float(info.samplerate or 1)
        if seconds < MIN_REF_SECONDS:
            raise EngineFailed(f"reference clip {ref.name} too short ({seconds:.2f} s < {MIN_REF_SECONDS:.1f} s)")
        stat = ref.stat()
        digest = hashlib.sha1(f"{ref.resolve()}:{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest()[:16]
        cfg = model.config

        def compute():
            try:
                return model.get_conditioning_latents(
                    audio_path=str(ref), max_ref_length=cfg.max_ref_len, gpt_cond_len=cfg.gpt_cond_len,
                    gpt_cond_chunk_len=cfg.gpt_cond_chunk_len, sound_norm_refs=cfg.sound_norm_refs,
                )
            except Exception as exc:  # audio decode / model errors of many types
                raise EngineFailed(f"XTTS could not read the voice of {ref.name}: {exc}") from exc

        return models.get(f"xtts-latents:{path}:{digest}", compute, size=lambda v: 1 << 16)

    def synthesize(self, request: TtsRequest) -> EngineOutput:
        path, reason = _xtts_path()
        if path is None:
            raise EngineUnavailable(reason)
        ref = Path(str(request.ref_wav))
        if not ref.is_file():
            raise EngineFailed(f"reference clip {ref} not found")
        model = load_xtts(path)
        with XTTS_LOCK:  # one line at a time (see XTTS_LOCK)
            latent, embedding = self._latents(model, path, ref)
            wav = _infer(model, request, latent, embedding)
        return EngineOutput(wav, int(model.args.output_sample_rate), f"xtts:clone:{ref.stem}", cloned=True)


class XttsPresetEngine:
    """XTTS preset speakers from speakers_xtts.pth (the voice picked by name or by character)."""

    name = "xtts-preset"

    def availability(self) -> tuple[bool, str]:
        path, reason = _xtts_path()
        if path is None:
            return False, reason
        if not (path / "speakers_xtts.pth").is_file():
            return False, f"no preset speakers ({path / 'speakers_xtts.pth'} missing)"
        return True, str(path / "speakers_xtts.pth")

    def applies(self, request: TtsRequest) -> tuple[bool, str]:
        return True, ""

    @staticmethod
    def speakers() -> list[str]:
        path, _ = _xtts_path()
        if path is None or not (path / "speakers_xtts.pth").is_file():
            return []
        model = load_xtts(path)
        return sorted(model.speaker_manager.speakers) if model.speaker_manager else []

    def synthesize(self, request: TtsRequest) -> EngineOutput:
        ok, reason = self.availability()
        if not ok:
            raise EngineUnavailable(reason)
        path, _ = _xtts_path()
        model = load_xtts(path)
        table = model.speaker_manager.speakers if model.speaker_manager else {}
        if not table:
            raise EngineUnavailable("speakers_xtts.pth holds no speakers")
        names = sorted(table)
        voice = request.voice
        if voice and voice.engine == "xtts-preset" and voice.voice_id:
            if voice.voice_id not in table:
                raise EngineUnavailable(f"XTTS preset speaker {voice.voice_id!r} not found")
            name = voice.voice_id
        else:
            # a character keeps the same preset speaker: pick by its voice key
            key = voice.key if voice else ""
            name = names[zlib.crc32(key.encode("utf-8")) % len(names)]
        entry = table[name]
        try:
            latent, embedding = entry["gpt_cond_latent"], entry["speaker_embedding"]
        except (KeyError, TypeError) as exc:
            raise EngineFailed(f"preset speaker {name!r} malformed: {exc}") from exc
        with XTTS_LOCK:
            wav = _infer(model, request, latent, embedding)
        return EngineOutput(wav, int(model.args.output_sample_rate), f"xtts-preset:{name}")
