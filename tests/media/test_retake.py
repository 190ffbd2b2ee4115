"""Retakes: a sampling voice's line that ASR does not understand is spoken again and the take heard
best is kept; deterministic voices and lines the model cannot hear are left alone."""
from __future__ import annotations

import numpy as np
import pytest

from media.tts import TtsRequest, VoiceSpec, synthesize
from media.tts.base import TtsResult
from media.metrics import wer
from media.tts.retake import hear_clips, retake_unclear, retakes_setting

RATE = 16000


def _take(provider: str, tag: float) -> tuple[TtsResult, np.ndarray]:
    clip = np.full(RATE // 2, tag, dtype=np.float32)  # the fake listener reads the tag back
    return TtsResult(clip, RATE, provider, "v", False, False), clip


class Listener:
    """Hears, for a clip tagged t, the script's t-th text (None: could not listen)."""

    def __init__(self, script):
        self.script, self.calls = script, []

    def __call__(self, clips, rate):
        assert rate == RATE
        self.calls.append(len(clips))
        return [self.script[int(round(float(c[0]) * 100))] for c in clips]


def test_an_unclear_sampling_take_is_spoken_again_and_the_clearest_kept():
    texts = ["the blue folder", "the north platform", "open that door", "nobody told me", "the long way home"]
    script = {1: "the blue folder",  # line 0, piper: understood at once
              2: "a rising platform", 12: "the north platform",  # line 1, piper: unclear, then right
              3: "open the dog",  # line 2, flite: unclear, but flite says it the same way again
              4: "nobody", 14: "nobody told", 24: "nobody",  # line 3, xtts: better, never clear: best kept
              5: None}  # line 4, piper: the model could not listen
    takes = [_take("piper", 0.01), _take("piper", 0.02), _take("flite", 0.03), _take("xtts", 0.04),
             _take("piper", 0.05), _take("piper", 0.06)]
    texts.append("say my name")
    script.update({6: "say my game", 16: "say my game"})  # line 5: a retake no better: not asked again
    asked = []

    def again(lines, k):
        asked.append((list(lines), k))
        return [_take(takes[i][0].provider, 0.01 * (i + 1) + 0.10 * k) for i in lines]

    listener = Listener(script)
    kept, report = retake_unclear(texts, takes, again=again, hear=listener, rounds=2)
    # only sampling engines; again only while still unclear and the last retake helped
    assert asked == [([1, 3, 5], 1), ([3], 2)]
    assert kept[0] is takes[0] and kept[2] is takes[2] and kept[4] is takes[4]
    assert float(kept[1][1][0]) == pytest.approx(0.12)  # the retake that was heard right
    assert float(kept[3][1][0]) == pytest.approx(0.14)  # the best of three takes, not the last
    assert kept[5] is takes[5]
    assert (report.heard, report.unclear, report.retaken, report.improved) == (4, 3, 4, 2)
    assert report.wer_after[1] == 0.0 and report.wer_after[3] < report.wer_before[3]


def test_no_retakes_when_turned_off_or_nothing_samples(monkeypatch):
    takes = [_take("piper", 0.02), _take("espeak", 0.03)]
    listener = Listener({2: "wrong", 3: "wrong"})
    never = lambda lines, k: pytest.fail("asked for a retake")  # noqa: E731
    kept, report = retake_unclear(["right words", "right words"], takes, again=never, hear=listener, rounds=0)
    assert kept == takes and listener.calls == [] and report.heard == 0
    kept, report = retake_unclear(["right words"], takes[1:], again=never, hear=listener, rounds=2)
    assert kept == takes[1:] and listener.calls == []
    monkeypatch.setenv("DUBSITE_TTS_RETAKES", "0")
    assert retakes_setting() == 0
    monkeypatch.delenv("DUBSITE_TTS_RETAKES")
    assert retakes_setting() == 2


def test_the_real_listener_hears_a_piper_line():
    """Piper samples noise in every take, and one take in eight or so loses a word (more on some
    CPUs): the listener must hear the line, and retakes must end with a take heard no worse than
    QC's flag (0.4), never a worse one than the first."""
    text = "Please bring the blue folder to the meeting at noon tomorrow."
    voice = VoiceSpec.parse("piper:en_US-joe-medium")

    def take():
        spoken = synthesize(TtsRequest(text, "en", voice=voice))
        assert spoken.provider == "piper"
        return spoken, spoken.samples

    first = take()
    hear = hear_clips(model="tiny.en", language="en")
    asked = []
    kept, report = retake_unclear([text], [first], again=lambda lines, k: asked.append(k) or [take() for _ in lines],
                                  hear=hear, rounds=3)
    assert report.heard == 1 and report.retaken == len(asked)
    assert bool(asked) == (report.unclear == 1)  # retaken exactly when the first take was unclear
    heard_first = wer(text, hear([first[1]], first[0].sample_rate)[0])  # 22.05 kHz: the listener resamples
    heard_kept = wer(text, hear([kept[0][1]], kept[0][0].sample_rate)[0])
    assert heard_kept <= min(heard_first, 0.4), (heard_first, heard_kept)
    # a model that cannot listen (English-only, asked for German) hears None: nothing is retaken
    _, report = retake_unclear(["Bitte bring die Mappe."], [first], again=lambda lines, k: [],
                               hear=hear_clips(model="tiny.en", language="de"), rounds=2)
    assert report.heard == 0 and report.retaken == 0
