"""Retakes: a line whose take ASR does not understand is spoken again, as a dubbing director asks
for another take, and the clearest take is kept.

Only engines that sample noise in every take (Piper's VITS, XTTS) say a line differently when
asked again; flite and espeak-ng say it the same way every time, so their lines are not heard
here (QC hears every line after the mix). Measured on the composite dub (README "Dub
intelligibility"): one Piper take in eight or so loses a word or a name ("The horizon" heard as
"that a rising"), and the same line spoken again is usually heard right.

The round trip is QC's (the fast model, lines packed into few ASR windows, media.roundtrip), on
the clips as spoken and settled, before they are fitted and placed: a retake changes only that
line, and the lines are fitted and placed together afterwards.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..audio import resample
from ..metrics import normalize_text, wer
from .base import TtsResult

__all__ = ["RETAKES_ENV", "STOCHASTIC_ENGINES", "UNCLEAR_WER", "RetakeReport", "retakes_setting",
           "retake_unclear", "hear_clips"]

RETAKES_ENV = "DUBSITE_TTS_RETAKES"  # takes asked for at most after the first (0: none)
DEFAULT_RETAKES = 2
STOCHASTIC_ENGINES = ("piper", "xtts")
# QC flags a line over 0.4 (media.qc); a retake is asked for earlier, at one word in four lost,
# because it costs one short synthesis and is kept only if it is heard better
UNCLEAR_WER = 0.25
HEAR_RATE = 16000

Take = tuple[TtsResult, np.ndarray]  # the engine's result and the clip as it will be fitted (settled)
Hear = Callable[[list[np.ndarray], int], Sequence["str | None"]]  # clips at HEAR_RATE -> text (None: could not)


def retakes_setting() -> int:
    """DUBSITE_TTS_RETAKES (>= 0), else 2."""
    raw = os.environ.get(RETAKES_ENV, "").strip()
    return max(int(raw), 0) if raw else DEFAULT_RETAKES


@dataclass
class RetakeReport:
    heard: int = 0  # lines of sampling engines heard
    unclear: int = 0  # of them, heard worse than UNCLEAR_WER in the first take
    retaken: int = 0  # takes asked for again, in all rounds
    improved: int = 0  # lines whose kept take is heard better than the first
    wer_before: dict[int, float] = field(default_factory=dict)  # line -> WER of the first take (unclear ones)
    wer_after: dict[int, float] = field(default_factory=dict)  # line -> WER of the kept take

    def summary(self) -> str:
        return (f"{self.unclear} of {self.heard} line(s) of sampling voices heard unclearly; "
                f"{self.retaken} retake(s), {self.improved} line(s) heard better")


def _score(text: str, heard: str | None) -> float | None:
    if heard is None or not normalize_text(text):
        return None
    return wer(text, heard)


def retake_unclear(texts: Sequence[str], takes: Sequence[Take], *, again: Callable[[list[int], int], list[Take]],
                   hear: Hear, rounds: int | None = None, unclear: float = UNCLEAR_WER
                   ) -> tuple[list[Take], RetakeReport]:
    """Hear the takes of sampling engines; for each heard worse than `unclear`, ask `again(lines,
    round)` for new takes (up to `rounds` times, again only while the last take was heard better)
    and keep, per line, the take heard best (the first on a tie). Lines of other engines, and
    lines the model could not hear, stay as they are."""
    rounds = retakes_setting() if rounds is None else rounds
    kept = list(takes)
    report = RetakeReport()
    live = [i for i, (result, clip) in enumerate(takes)
            if result.provider in STOCHASTIC_ENGINES and len(clip) and normalize_text(texts[i])]
    if rounds <= 0 or not live:
        return kept, report
    scores = dict(zip(live, (_score(texts[i], h) for i, h in zip(live, _hear(hear, [kept[i] for i in live])))))
    report.heard = sum(s is not None for s in scores.values())
    todo = [i for i in live if scores[i] is not None and scores[i] > unclear]
    report.unclear = len(todo)
    report.wer_before = {i: scores[i] for i in todo}
    for k in range(1, rounds + 1):
        if not todo:
            break
        fresh = again(todo, k)
        report.retaken += len(todo)
        heard = _hear(hear, fresh)
        better = set()
        for i, take, text in zip(todo, fresh, heard):
            score = _score(texts[i], text)
            if score is not None and score < scores[i]:
                kept[i], scores[i] = take, score
                better.add(i)
        # a line a new take did not help is lost in its text (a name, a word the listener does
        # not know), not in one take's noise: it is not asked for again
        todo = [i for i in todo if scores[i] > unclear and i in better]
    report.wer_after = {i: scores[i] for i in report.wer_before}
    report.improved = sum(report.wer_after[i] < report.wer_before[i] for i in report.wer_before)
    return kept, report


def _hear(hear: Hear, takes: Sequence[Take]) -> list[str | None]:
    clips = [np.asarray(resample(clip, result.sample_rate, HEAR_RATE) if result.sample_rate != HEAR_RATE else clip,
                        dtype=np.float32) for result, clip in takes]
    return list(hear(clips, HEAR_RATE))


def hear_clips(*, model: str, language: str) -> Hear:
    """QC's round trip (media.asr_batch.listener through media.roundtrip.transcribe_lines): a
    model that cannot listen (English-only for another language, missing) hears None."""
    from ..asr_batch import listener
    from ..roundtrip import transcribe_lines

    words = listener(model=model, language=language)
    return lambda clips, rate: transcribe_lines(clips, rate, words)
