"""Word times for text whisper has already decoded without them.

faster-whisper's `word_timestamps=True` aligns each 30 s window as it decodes and then moves the
next window to the last aligned word's end. When that alignment ends early, the decoder re-reads
audio from a different place and can drop a whole phrase (on the eval recordings: WER 0.094 with
word timestamps against 0.024 without, tiny.en). Here the text comes from a plain decode (the
window moves on whisper's own timestamp tokens, exactly as without word timestamps), and the words
are then placed by the library's own cross-attention DTW (`add_word_timestamps` / `find_alignment`,
the same code `word_timestamps=True` runs) on each decoded window's tokens. The text can therefore
not lose a word to alignment, and the word times come from the same aligner.

The cost is one more encoder pass per 30 s window (the decode does not hand its encoder output
out) on top of the alignment itself, which `word_timestamps=True` pays too.
"""
from __future__ import annotations

from typing import Callable, Iterable, Iterator

import numpy as np

__all__ = ["decode_then_align"]

SAMPLE_RATE = 16000


def _speech_only(samples: np.ndarray):
    """The VAD step faster-whisper runs for `vad_filter=True`, done here so the decode and the
    alignment see the same collapsed audio: (speech-only samples, chunks to map times back)."""
    from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

    chunks = get_speech_timestamps(samples, VadOptions())
    pieces, _ = collect_chunks(samples, chunks)
    return np.concatenate(pieces, axis=0).astype(np.float32, copy=False), chunks


def _windows(segments: Iterable) -> Iterator[list]:
    """Consecutive decoded segments grouped by the 30 s window (`seek`) they were decoded in."""
    group: list = []
    for seg in segments:  # the generator decodes lazily: keep it lazy for progress
        if group and seg.seek != group[0].seek:
            yield group
            group = []
        group.append(seg)
    if group:
        yield group


def decode_then_align(model, samples: np.ndarray, *, vad_filter: bool = True,
                      progress: Callable[[float], None] | None = None, **decode_options):
    """`model.transcribe(samples, word_timestamps=False, **decode_options)`, then word times for
    its segments. Returns (segments with `.words`, info) like `model.transcribe` with words.

    Segment text and times stay those of the plain decode; words are kept inside their segment
    (the aligner may stretch an edge word past it by a fraction of a second)."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import Word, restore_speech_timestamps

    chunks = None
    audio = samples
    if vad_filter:
        audio, chunks = _speech_only(samples)
    decoded, info = model.transcribe(audio, vad_filter=False, word_timestamps=False, **decode_options)
    options = info.transcription_options
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task=decode_options.get("task", "transcribe"),
                          language=info.language)
    features = model.feature_extractor(audio)
    content_frames = features.shape[-1] - 1
    full = model.feature_extractor.nb_max_frames
    total = len(samples) / SAMPLE_RATE
    last_speech = 0.0
    out = []
    for window in _windows(decoded):
        seek = window[0].seek
        size = min(full, content_frames - seek)
        encoded = model.encode(pad_or_trim(features[:, seek: seek + size]))
        parts = [dict(seek=seek, start=s.start, end=s.end, tokens=list(s.tokens)) for s in window]
        last_speech = model.add_word_timestamps([parts], tokenizer, encoded, size, options.prepend_punctuations,
                                                options.append_punctuations, last_speech_timestamp=last_speech)
        plain = [(s.start, s.end) for s in window]
        for seg, part in zip(window, parts):
            seg.words = [Word(**w) for w in part.get("words", [])]
        if chunks:
            plain = [_restore_span(chunks, start, end) for start, end in plain]
            window = list(restore_speech_timestamps(window, chunks, SAMPLE_RATE))
        for seg, (start, end) in zip(window, plain):
            seg.start, seg.end = start, end
            seg.words = _inside(seg.words, start, end)
            out.append(seg)
            if progress is not None and total > 0:
                progress(min(float(end) / total, 1.0))
    return out, info


def _restore_span(chunks: list[dict], start: float, end: float) -> tuple[float, float]:
    from faster_whisper.vad import SpeechTimestampsMap

    stamps = SpeechTimestampsMap(chunks, SAMPLE_RATE)
    return stamps.get_original_time(start), stamps.get_original_time(end, is_end=True)


def _inside(words: list, start: float, end: float) -> list:
    """Words clamped into [start, end] and monotonic: the plain decode's segment bounds are the
    reference, the DTW path can run a word a few frames past them."""
    last = start
    for w in words:
        w.start = min(max(w.start, last), end)
        w.end = min(max(w.end, w.start), end)
        last = w.start
    return words
