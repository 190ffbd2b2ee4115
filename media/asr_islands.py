"""Decode each stretch of talk on its own: speech islands from the diarization's turns.

Whisper decoding a whole episode (VAD-collapsed, 30 s windows one after the other) loses short
utterances between longer ones and phrases in far-field crosstalk: on the 115 s composite
episode's clean speech one decode heard 163 words, the same model on each stretch of talk on its
own 192 ("See you next time.", "On your marks?", "Great, thank you. Smile for the camera." were
missing whole; over the music bed 124 and 152; README "Stretches of talk decoded one by one").
A stretch of talk (an *island*) is the turns of any speakers that overlap or follow each other
within `GAP` seconds, closed before it would outgrow `CAP` seconds so that it fits one 30 s
window: whisper decodes it once, with no seek and no concatenation with other audio. A turn chain
longer than that (crosstalk without a pause) stays one island and is decoded long-form inside it.
An island shorter than `SHORT` joins its nearer neighbour across a pause under `BRIDGE`: a phrase
alone loses the words around it that whisper reads it by.

Each island is padded by `PAD` seconds (never into a neighbour), so a word the diarization cut
at its edge is still heard. Speech the diarization missed altogether is not decoded; where there
are no turns at all the caller decodes the whole audio instead.
"""
from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np

from .errors import MediaError
from .vad import SAMPLE_RATE, Region, merge_regions

__all__ = ["GAP", "CAP", "PAD", "SHORT", "BRIDGE", "speech_islands", "transcribe_islands", "WINDOWS", "windows_setting"]

GAP = 0.5   # s: longer than most pauses between turns of one exchange, shorter than a scene's pause
CAP = 28.0  # s: an island fits one 30 s whisper window, padding included
PAD = 0.2   # s: each side, for a word the diarization cut at its edge
SHORT, BRIDGE = 4.0, 2.0  # s: an island shorter than SHORT joins its neighbour across a pause under BRIDGE
WINDOWS = ("islands", "whole")
WINDOWS_ENV = "DUBSITE_ASR_WINDOWS"


def windows_setting(choice: str | None = None) -> str:
    """How the asr stage decodes: "islands" (default) or "whole" (the episode in one decode)."""
    value = (choice if choice is not None else os.environ.get(WINDOWS_ENV, "")).strip().lower() or WINDOWS[0]
    if value not in WINDOWS:
        raise MediaError(f"{WINDOWS_ENV} must be one of {', '.join(WINDOWS)}, not {value!r}")
    return value


def _join_short(islands: list[list[float]], *, short: float, bridge: float, cap: float) -> list[list[float]]:
    """An island shorter than `short` seconds joins its nearer neighbour across a pause under
    `bridge` (within `cap`): whisper hears a phrase better with the words around it."""
    islands = [list(i) for i in islands]
    changed = True
    while changed:
        changed = False
        for i, (start, end) in enumerate(islands):
            if end - start >= short:
                continue
            options = []
            if i and start - islands[i - 1][1] < bridge and end - islands[i - 1][0] <= cap:
                options.append((start - islands[i - 1][1], i - 1))
            if i + 1 < len(islands) and islands[i + 1][0] - end < bridge and islands[i + 1][1] - start <= cap:
                options.append((islands[i + 1][0] - end, i))
            if options:
                _, left = min(options)
                islands[left:left + 2] = [[islands[left][0], islands[left + 1][1]]]
                changed = True
                break
    return islands


def speech_islands(turns: Sequence, duration: float, *, gap: float = GAP, cap: float = CAP,
                   pad: float = PAD, short: float = SHORT, bridge: float = BRIDGE) -> list[tuple[float, float]]:
    """(start, end) of each island, in time order, padded and clipped to (0, duration).
    `turns`: (start, end, ...) tuples or objects with `.start` / `.end`."""
    spans = ((float(t.start), float(t.end)) if hasattr(t, "start") else (float(t[0]), float(t[1])) for t in turns)
    # turns that overlap (crosstalk) cannot be cut apart: one span each
    talk = merge_regions([Region(max(a, 0.0), min(b, duration)) for a, b in spans if min(b, duration) > max(a, 0.0)])
    islands: list[list[float]] = []
    for r in talk:
        if islands and r.start - islands[-1][1] < gap and r.end - islands[-1][0] <= cap:
            islands[-1][1] = r.end
        else:
            islands.append([r.start, r.end])
    islands = _join_short(islands, short=short, bridge=bridge, cap=cap)
    out = []
    for i, (start, end) in enumerate(islands):
        before = islands[i - 1][1] if i else 0.0
        after = islands[i + 1][0] if i + 1 < len(islands) else duration
        # half the pause to each neighbour at most: no word is decoded twice
        lo = max(start - pad, (before + start) / 2 if i else 0.0)
        hi = min(end + pad, (end + after) / 2 if i + 1 < len(islands) else duration)
        out.append((round(lo, 3), round(hi, 3)))
    return out


def _shifted(seg, offset: float):
    """A segment decoded from an island's samples, with times in the whole audio."""
    from dataclasses import replace

    words = [replace(w, start=round(w.start + offset, 3), end=round(w.end + offset, 3)) for w in seg.words]
    return replace(seg, start=round(seg.start + offset, 3), end=round(seg.end + offset, 3), words=words)


def transcribe_islands(engine, samples: np.ndarray, islands: Sequence[tuple[float, float]], *,
                       language: str | None = None, progress: Callable[[float], None] | None = None,
                       **options):
    """One `engine.transcribe` per island of the 16 kHz `samples`, joined into one Transcript
    with times in the whole audio. The language, when not given, is detected once, on the
    longest island (whisper detects on its first window anyway), and then used for every island
    so that one episode is not read in two languages."""
    from .asr import Transcript

    duration = len(samples) / SAMPLE_RATE
    # the container's duration (where the islands were cut) can differ from the decoded audio's
    todo = [(a, min(b, duration)) for a, b in islands if min(b, duration) - a >= 0.1]
    if not todo:
        return Transcript(language or "en", 0.0, [], engine.model, options.get("task", "transcribe"), duration)

    def decode(clip, language):
        # the island's own samples, not the episode's with a clip: the engine checks and
        # converts all it is given, once per island
        start = clip[0]
        part = engine.transcribe(samples[int(start * SAMPLE_RATE): int(clip[1] * SAMPLE_RATE)],
                                 sample_rate=SAMPLE_RATE, language=language, **options)
        return part, [_shifted(seg, start) for seg in part.segments]

    probability = 1.0
    first = {}
    if language is None:
        longest = max(range(len(todo)), key=lambda i: todo[i][1] - todo[i][0])
        first[longest] = decode(todo[longest], None)
        language, probability = first[longest][0].language, first[longest][0].language_probability
    segments = []
    spoken = sum(b - a for a, b in todo)
    done = 0.0
    for i, clip in enumerate(todo):
        _, shifted = first.get(i) or decode(clip, language)
        segments.extend(shifted)
        done += clip[1] - clip[0]
        if progress is not None:
            progress(min(done / spoken, 1.0))
    return Transcript(language, probability, segments, engine.model, options.get("task", "transcribe"), duration)
