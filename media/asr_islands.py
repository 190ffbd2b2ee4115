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
from .vad import SAMPLE_RATE

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
    spans = sorted((float(t.start), float(t.end)) if hasattr(t, "start") else (float(t[0]), float(t[1]))
                   for t in turns)
    islands: list[list[float]] = []
    for start, end in spans:
        start, end = max(start, 0.0), min(end, duration)
        if end <= start:
            continue
        if islands and start <= islands[-1][1]:  # overlaps (crosstalk): cannot be cut here
            islands[-1][1] = max(islands[-1][1], end)
        elif islands and start - islands[-1][1] < gap and max(end, islands[-1][1]) - islands[-1][0] <= cap:
            islands[-1][1] = max(islands[-1][1], end)
        else:
            islands.append([start, end])
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
    probability = 1.0
    first = {}
    if language is None:
        longest = max(range(len(todo)), key=lambda i: todo[i][1] - todo[i][0])
        first[longest] = engine.transcribe(samples, sample_rate=SAMPLE_RATE, clip=todo[longest], **options)
        language, probability = first[longest].language, first[longest].language_probability
    segments = []
    spoken = sum(b - a for a, b in todo)
    done = 0.0
    for i, clip in enumerate(todo):
        part = first.get(i) or engine.transcribe(samples, sample_rate=SAMPLE_RATE, clip=clip, language=language,
                                                 **options)
        segments.extend(part.segments)
        done += clip[1] - clip[0]
        if progress is not None:
            progress(min(done / spoken, 1.0))
    return Transcript(language, probability, segments, engine.model, options.get("task", "transcribe"), duration)
