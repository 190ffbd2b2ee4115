"""Word times for text whisper has already decoded without them.

faster-whisper's `word_timestamps=True` aligns each 30 s window as it decodes and then moves the
next window to the last aligned word's end. When that alignment ends early, the decoder re-reads
audio from a different place and can drop a whole phrase (issue 11, on a held-out reading: WER
0.094 with word timestamps against 0.024 without, tiny.en). Here the text comes from a plain decode (the
window moves on whisper's own timestamp tokens, exactly as without word timestamps), and the words
are then placed by the library's own cross-attention DTW (`add_word_timestamps` / `find_alignment`,
the same code `word_timestamps=True` runs) on each decoded window's tokens. The text can therefore
not lose a word to alignment, and the word times come from the same aligner.

The decode's own encoder output of each window is reused for the alignment (faster-whisper does
not hand it out, so the decode runs on a view of the model that keeps it); where that is not
possible the window is encoded again. The cost over a plain decode is then the alignment itself,
which `word_timestamps=True` pays too. faster-whisper is pinned (pyproject) because this leans on
its `transcribe`/`generate_segments`/`add_word_timestamps` internals.
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


class _KeepsEncoderOutput:
    """The model, with `transcribe` and `generate_segments` running on this view so that the
    decode's `self.encode` calls land here and the latest window's encoder output is kept.
    Everything else is the model's own (shared, unchanged: other threads may use it)."""

    def __init__(self, model):
        self._model = model
        self.latest = None

    def __getattr__(self, name):
        return getattr(self._model, name)

    def encode(self, features):
        self.latest = self._model.encode(features)
        return self.latest

    def transcribe(self, *args, **kwargs):
        return type(self._model).transcribe(self, *args, **kwargs)

    def generate_segments(self, *args, **kwargs):
        return type(self._model).generate_segments(self, *args, **kwargs)


def _windows(segments: Iterable, keeper: _KeepsEncoderOutput) -> Iterator[tuple[list, object]]:
    """Consecutive decoded segments grouped by the 30 s window (`seek`) they were decoded in,
    with that window's encoder output. The generator decodes lazily and yields a window's
    segments before it encodes the next window, so at a window's first segment the latest
    encoder output is that window's."""
    group: list = []
    encoded = None
    for seg in segments:  # keep it lazy: progress follows the decode
        if group and seg.seek != group[0].seek:
            yield group, encoded
            group = []
        if not group:
            encoded, keeper.latest = keeper.latest, None
        group.append(seg)
    if group:
        yield group, encoded


def decode_then_align(model, samples: np.ndarray, *, vad_filter: bool = True,
                      progress: Callable[[float], None] | None = None, **decode_options):
    """`model.transcribe(samples, word_timestamps=False, **decode_options)`, then word times for
    its segments. Returns (segments with `.words`, info) like `model.transcribe` with words.

    Segment text is the plain decode's; a segment's times are its words' span (as with
    word_timestamps=True, whose segment times after the VAD filter come from the words too)."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import Word, restore_speech_timestamps

    chunks = None
    audio = samples
    if vad_filter:
        audio, chunks = _speech_only(samples)
    keeper = _KeepsEncoderOutput(model)
    decoded, info = keeper.transcribe(audio, vad_filter=False, word_timestamps=False, **decode_options)
    options = info.transcription_options
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task=decode_options.get("task", "transcribe"),
                          language=info.language)
    features = model.feature_extractor(audio)
    content_frames = features.shape[-1] - 1
    full = model.feature_extractor.nb_max_frames
    total = len(samples) / SAMPLE_RATE
    last_speech = 0.0
    out = []
    for window, encoded in _windows(decoded, keeper):
        seek = window[0].seek
        size = min(full, content_frames - seek)
        if encoded is None:  # not seen (a faster-whisper that encodes elsewhere): encode again
            encoded = model.encode(pad_or_trim(features[:, seek: seek + size]))
        parts = [dict(seek=seek, start=s.start, end=s.end, tokens=list(s.tokens)) for s in window]
        last_speech = model.add_word_timestamps([parts], tokenizer, encoded, size, options.prepend_punctuations,
                                                options.append_punctuations, last_speech_timestamp=last_speech)
        for seg, part in zip(window, parts):
            seg.words = [Word(**w) for w in part.get("words", [])]
            if seg.words:  # the aligner tightens a segment to its words, as word_timestamps=True does
                seg.start, seg.end = part["start"], part["end"]
        if chunks:  # back to times in the input, each word by the speech chunk it lies in
            window = list(restore_speech_timestamps(window, chunks, SAMPLE_RATE))
        for seg in window:
            out.append(seg)
            if progress is not None and total > 0:
                progress(min(float(seg.end) / total, 1.0))
    return out, info

