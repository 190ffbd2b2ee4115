"""Round trip of many short lines in few ASR calls: whisper encodes a 30 s window whatever the
audio's length, so transcribing 40 one-second lines one by one pays 40 windows. The lines are
laid end to end with a pause between them, up to `window` seconds a chunk, transcribed once per
chunk with word times, and each word goes back to the line its midpoint falls in. The chunks
are handed over all at once, so the ASR can decode them in batches (media.asr_batch).

    texts = transcribe_lines(clips, 16000, chunk_words)   # chunk_words(chunks, rate) -> [[(start, end, word)], ...]
    texts = transcribe_lines(clips, 16000, one_at_a_time(words_of))   # words_of(samples, rate) -> [...]
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

__all__ = ["pack", "transcribe_lines", "one_at_a_time"]

Words = "Sequence[tuple[float, float, str]] | None"  # None: could not listen
WordsOf = Callable[[np.ndarray, int], Words]
ChunkWords = Callable[[list, int], "Sequence[Words] | None"]


def one_at_a_time(words_of: WordsOf) -> ChunkWords:
    """A ChunkWords from a function that hears one chunk per call."""
    return lambda chunks, rate: [words_of(chunk, rate) for chunk in chunks]


def pack(lengths: Sequence[float], *, window: float = 28.0, gap: float = 1.0) -> list[list[int]]:
    """Indices of the lines per chunk, in order: a chunk holds lines and a `gap` after each while
    it stays within `window` seconds; a line longer than the window has a chunk of its own."""
    chunks: list[list[int]] = []
    used = window + 1.0
    for i, seconds in enumerate(lengths):
        need = seconds + gap
        if not chunks or used + need > window:
            chunks.append([])
            used = 0.0
        chunks[-1].append(i)
        used += need
    return chunks


def transcribe_lines(clips: Sequence[np.ndarray], rate: int, chunk_words: ChunkWords, *, window: float = 28.0,
                     gap: float = 1.0) -> list[str | None]:
    """The text heard in each clip (mono, `rate`), in order; an empty clip hears nothing; None
    where `chunk_words` could not listen (no usable model: no figure, not a failure). The gap
    (silence) keeps whisper from running one line's words into the next and lets every word's
    midpoint land inside its own line's span."""
    heard: list[str | None] = [""] * len(clips)
    live = [i for i, c in enumerate(clips) if len(c)]
    silence = np.zeros(int(gap * rate), dtype=np.float32)
    layouts, audios = [], []
    for chunk in pack([len(clips[i]) / rate for i in live], window=window, gap=gap):
        members = [live[k] for k in chunk]
        spans, parts, at = [], [silence[: int(gap / 2 * rate)]], gap / 2
        for i in members:
            clip = np.asarray(clips[i], dtype=np.float32)
            spans.append((at, at + len(clip) / rate))
            parts += [clip, silence]
            at += len(clip) / rate + gap
        layouts.append((members, spans))
        audios.append(np.concatenate(parts))
    found_all = chunk_words(audios, rate) if audios else []
    if found_all is None:
        found_all = [None] * len(audios)
    for (members, spans), found in zip(layouts, found_all):
        if found is None:
            for i in members:
                heard[i] = None
            continue
        words: dict[int, list[str]] = {i: [] for i in members}
        for start, end, text in found:
            mid = (start + end) / 2
            # nearest span by distance (0 inside it): a word whisper timed a little into the pause still counts
            k = min(range(len(spans)), key=lambda j: max(spans[j][0] - mid, mid - spans[j][1], 0.0))
            words[members[k]].append(text.strip())
        for i in members:
            heard[i] = " ".join(w for w in words[i] if w)
    # whisper decoding a window without timestamps now and then skips a whole sentence (seen on
    # the first line of a chunk); a line that heard nothing though it is not silent is heard
    # again on its own, so a skip is not reported as a line that says nothing
    shared = {i for members, _ in layouts if len(members) > 1 for i in members}
    missed = [i for i in sorted(shared) if heard[i] == "" and _rms(clips[i]) > AUDIBLE_RMS]
    if missed:
        again = chunk_words([_alone(clips[i], rate, gap) for i in missed], rate)
        for i, found in zip(missed, again or []):
            if found:
                heard[i] = " ".join(text.strip() for _, _, text in found if text.strip())
    return heard


AUDIBLE_RMS = 0.003  # about -50 dBFS: quieter than any spoken clip, louder than dither


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0


def _alone(clip: np.ndarray, rate: int, gap: float) -> np.ndarray:
    pad = np.zeros(int(gap / 2 * rate), dtype=np.float32)
    return np.concatenate([pad, np.asarray(clip, dtype=np.float32), pad])
