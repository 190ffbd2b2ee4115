"""Many short pieces of audio (each ≤ 30 s, e.g. QC's packed dub lines) transcribed in batches,
with word times: faster-whisper's own BatchedInferencePipeline, one `clip_timestamps` entry per
piece, so the encoder and the decoder run on up to `batch_size` windows at once. On the 2-core
machine this took half the CPU of decoding the same 14 windows one after another (README,
"Quality control").

The batched decode has no temperature fallback: a window it decodes into a loop of repeated
words is decoded again alone, with the fallback (whisper's own tests: compression ratio above
2.4, or mean log-probability under -1 where whisper does not call the window silent).

    words = chunk_words([a, b, c], 16000, language="en")   # [[(start, end, word), ...], ...]
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import modelpaths
from .asr import WhisperAsr, check_language, load_whisper
from .audio import resample
from .errors import EngineFailed, EngineUnavailable

__all__ = ["chunk_words", "listener"]

RATE = 16000
WINDOW = 30.0
# faster-whisper's defaults: a failed decode, and (with a low log-probability) a silent window
COMPRESSION_RATIO_MAX, LOGPROB_MIN, NO_SPEECH_MIN = 2.4, -1.0, 0.6

Words = list[tuple[float, float, str]]


def chunk_words(chunks: Sequence[np.ndarray], rate: int, *, model: str = modelpaths.BUNDLED_WHISPER,
                language: str | None = "en", batch_size: int = 8) -> list[Words]:
    """The words heard in each chunk, times in seconds from that chunk's start."""
    from faster_whisper import BatchedInferencePipeline

    language = check_language(language)
    engine = WhisperAsr(model)
    whisper = load_whisper(engine._path())
    if not whisper.model.is_multilingual and language not in (None, "en"):
        raise EngineUnavailable(f"model {model} is English-only; language {language!r} needs a multilingual model")
    pieces = [np.asarray(resample(c, rate, RATE) if rate != RATE else c, dtype=np.float32)[: int(WINDOW * RATE)]
              for c in chunks]
    starts = np.concatenate([[0], np.cumsum([len(p) for p in pieces])]) / RATE
    spans = [(float(starts[i]), float(starts[i + 1])) for i, p in enumerate(pieces) if len(p) >= RATE // 10]
    out: list[Words] = [[] for _ in pieces]
    if not spans:
        return out
    audio = np.concatenate(pieces)
    try:
        segments, _ = BatchedInferencePipeline(whisper).transcribe(
            audio, language=language, clip_timestamps=[{"start": s, "end": e} for s, e in spans],
            batch_size=batch_size, word_timestamps=True, without_timestamps=True, beam_size=1)
        segments = list(segments)
    except (RuntimeError, ValueError) as exc:
        raise EngineFailed(f"faster-whisper (batched) failed: {exc}") from exc
    failed: set[int] = set()
    for seg in segments:
        k = _chunk_of((seg.start + seg.end) / 2, starts)
        silent = seg.no_speech_prob > NO_SPEECH_MIN and seg.avg_logprob < LOGPROB_MIN  # whisper's silence rule
        if seg.compression_ratio > COMPRESSION_RATIO_MAX or (seg.avg_logprob < LOGPROB_MIN and not silent):
            failed.add(k)
        # whisper's times are 20 ms frames and its clip offsets whole samples: clamp to the chunk
        out[k] += [(max(float(w.start - starts[k]), 0.0), max(float(w.end - starts[k]), 0.0), w.word)
                   for w in seg.words or () if _spoken(w.word)]
    for k in failed:  # alone again, with whisper's temperature fallback
        result = engine.transcribe(pieces[k], sample_rate=RATE, language=language, word_timestamps=True,
                                   vad_filter=False, beam_size=1, without_timestamps=True)
        out[k] = [(w.start, w.end, w.text) for s in result.segments for w in s.words if _spoken(w.text)]
    return out


def listener(*, model: str, language: str | None,
             on_error: Callable[[Exception], None] | None = None) -> Callable[[list, int], "list[Words] | None"]:
    """chunk_words as media.roundtrip's ChunkWords: a model that cannot listen (English-only for
    another language, missing) hears None (no figure, not a failure), after `on_error(exc)`."""
    def words(chunks: list, rate: int) -> list[Words] | None:
        try:
            return chunk_words(chunks, rate, model=model, language=language)
        except Exception as exc:  # noqa: BLE001 - an unusable model is reported, not raised
            if on_error is not None:
                on_error(exc)
            return None

    return words


def _chunk_of(t: float, starts: np.ndarray) -> int:
    return int(min(max(np.searchsorted(starts, t, side="right") - 1, 0), len(starts) - 2))


def _spoken(word: str) -> bool:
    """A lone mark (" .") is what whisper writes for silence, not a word."""
    return any(ch.isalnum() for ch in word)
