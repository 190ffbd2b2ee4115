"""Round trip of many short lines in few ASR calls: whisper encodes a 30 s window whatever the
audio's length, so transcribing 40 one-second lines one by one pays 40 windows. The lines are
laid end to end with a pause between them, up to `window` seconds a chunk, transcribed once per
chunk with word times, and each word goes back to the line its midpoint falls in.

    texts = transcribe_lines(clips, 16000, words_of)   # words_of(samples, rate) -> [(start, end, word)]
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

__all__ = ["pack", "transcribe_lines"]

WordsOf = Callable[[np.ndarray, int], "Sequence[tuple[float, float, str]] | None"]  # None: could not listen


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


def transcribe_lines(clips: Sequence[np.ndarray], rate: int, words_of: WordsOf, *, window: float = 28.0,
                     gap: float = 1.0) -> list[str | None]:
    """The text heard in each clip (mono, `rate`), in order; an empty clip hears nothing; None
    where `words_of` could not listen (no usable model: no figure, not a failure). The gap
    (silence) keeps whisper from running one line's words into the next and lets every word's
    midpoint land inside its own line's span."""
    heard: list[str | None] = [""] * len(clips)
    live = [i for i, c in enumerate(clips) if len(c)]
    silence = np.zeros(int(gap * rate), dtype=np.float32)
    for chunk in pack([len(clips[i]) / rate for i in live], window=window, gap=gap):
        members = [live[k] for k in chunk]
        spans, parts, at = [], [], gap / 2
        parts.append(silence[: int(gap / 2 * rate)])
        for i in members:
            clip = np.asarray(clips[i], dtype=np.float32)
            spans.append((at, at + len(clip) / rate))
            parts += [clip, silence]
            at += len(clip) / rate + gap
        words: dict[int, list[str]] = {i: [] for i in members}
        found = words_of(np.concatenate(parts), rate)
        if found is None:
            for i in members:
                heard[i] = None
            continue
        for start, end, text in found:
            mid = (start + end) / 2
            # nearest span by distance (0 inside it): a word whisper timed a little into the pause still counts
            k = min(range(len(spans)), key=lambda j: max(spans[j][0] - mid, mid - spans[j][1], 0.0))
            words[members[k]].append(text.strip())
        for i in members:
            heard[i] = " ".join(w for w in words[i] if w)
    return heard
