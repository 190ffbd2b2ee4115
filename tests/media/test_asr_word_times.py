"""Word times that lose no words: every eval recording with a known text, transcribed three ways
(plain decode without word times; faster-whisper's word_timestamps=True; our decode-then-align
default), with WER, speed and word-time agreement printed (`make eval`, or pytest -s)."""
from __future__ import annotations

import time
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pytest

from media import asr
from media.errors import MediaError
from media.metrics import normalize_text, wer
from tests.composite import JFK, LEFT, RIGHT, build_composite

MODES = {"whisper": dict(word_times="whisper"), "plain": dict(word_timestamps=False),
         "aligned": dict(word_times="aligned")}
EPSILON = 0.02  # WER slack: one word in 50


WHOLE = 1e9  # a text that is the whole recording


def _recordings(eval_dir: Path, out: Path):
    """(name, path, channel, [(start, end, reference text)], speech turns) for every eval
    recording with a text; the composite's turns are its reference (energy-gated) speech spans."""
    composite = build_composite(eval_dir, out / "composite")
    return [("jfk.flac", eval_dir / "jfk.flac", None, [(0.0, WHOLE, JFK)], []),
            ("stereo left", eval_dir / "stereo_diarization.wav", 0, [(0.0, WHOLE, LEFT)], []),
            ("stereo right", eval_dir / "stereo_diarization.wav", 1, [(0.0, WHOLE, RIGHT)], []),
            ("composite (jfk, left, right)", composite.mix, None, composite.texts, composite.turns)]


def _heard(transcript: asr.Transcript, start: float, end: float) -> str:
    """The text of the segments that overlap a known text's span (the same rule for every mode:
    segment times differ between modes, so a segment reaching a neighbour's speech is kept too)."""
    return " ".join(s.text for s in transcript.segments if s.start < end + 0.5 and s.end > start - 0.5)


def _span_wer(reference: str, heard: str) -> float:
    """WER of `reference` against the best-matching stretch of `heard` (edit distance with free
    start and end in `heard`): a neighbour's words around it cost nothing, a lost phrase does."""
    ref, hyp = normalize_text(reference).split(), normalize_text(heard).split()
    row = np.zeros(len(hyp) + 1)  # free start: any hypothesis word may open the match
    for i, word in enumerate(ref, 1):
        new = np.empty_like(row)
        new[0] = i
        for j, other in enumerate(hyp, 1):
            new[j] = min(row[j - 1] + (word != other), row[j] + 1, new[j - 1] + 1)
        row = new
    return float(row.min()) / max(len(ref), 1)  # free end


@pytest.fixture(scope="module")
def runs(eval_dir, tmp_path_factory):
    results = []
    for name, path, channel, texts, turns in _recordings(eval_dir, tmp_path_factory.mktemp("asr_words")):
        row = {"name": name, "texts": texts, "turns": turns}
        for mode, options in MODES.items():
            began = time.perf_counter()
            transcript = asr.transcribe(path, channel=channel, **options)
            row[mode] = transcript
            row[f"{mode} s"] = time.perf_counter() - began
            row[f"{mode} wer"] = [wer(text, transcript.text) if e >= WHOLE else _span_wer(text, _heard(transcript, s, e))
                                  for s, e, text in texts]
        results.append(row)
    print("\nASR WER per known text (tiny.en, beam 5, VAD), seconds per run")
    print(f"{'recording':30s} {'with word timestamps':>22s} {'without':>10s} {'decode+align':>13s}   seconds w / wo / align")
    for row in results:
        for i, (_, _, text) in enumerate(row["texts"]):
            label = row["name"] if len(row["texts"]) == 1 else f"{row['name']}: {text[:18]}…"
            print(f"{label:30s} {row['whisper wer'][i]:22.3f} {row['plain wer'][i]:10.3f} {row['aligned wer'][i]:13.3f}"
                  f"   {row['whisper s']:.1f} / {row['plain s']:.1f} / {row['aligned s']:.1f}")
    return results


def test_no_recording_loses_words_to_word_times(runs):
    for row in runs:
        for i, (_, _, text) in enumerate(row["texts"]):
            assert row["aligned wer"][i] <= row["plain wer"][i] + EPSILON, (row["name"], text, row["aligned"].text)
            assert row["aligned wer"][i] <= 0.15, (row["name"], row["aligned"].text)


def test_words_are_monotonic_inside_their_segment_and_spell_it(runs):
    for row in runs:
        transcript = row["aligned"]
        assert transcript.segments, row["name"]
        for seg in transcript.segments:
            assert seg.words, (row["name"], seg.text)
            starts = [w.start for w in seg.words]
            assert starts == sorted(starts), (row["name"], seg.text)
            assert all(seg.start - 1e-6 <= w.start <= w.end <= seg.end + 1e-6 for w in seg.words), (row["name"], seg)
            # the words are the segment's text, nothing added or left out
            assert normalize_text(" ".join(w.text for w in seg.words)) == normalize_text(seg.text)
        if not row["turns"]:  # a single recording: the plain decode's text, segment by segment (the
            # composite's music can make whisper fall back to sampling, which differs run to run)
            assert [s.text for s in transcript.segments] == [s.text for s in row["plain"].segments], row["name"]


def test_word_times_agree_with_whispers_own(runs):
    """Where both methods heard the same words, the aligned start times are close to
    word_timestamps=True's (same aligner; only the windows and segment clamping differ)."""
    print("\nword starts, decode+align vs word_timestamps=True (words both heard)")
    for row in runs:
        ours = [w for s in row["aligned"].segments for w in s.words]
        theirs = [w for s in row["whisper"].segments for w in s.words]
        a, b = [normalize_text(w.text) for w in ours], [normalize_text(w.text) for w in theirs]
        pairs = [(ours[m.a + k], theirs[m.b + k]) for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
                 for k in range(m.size)]
        gaps = np.array([abs(x.start - y.start) for x, y in pairs])
        zero = sum(w.end - w.start < 0.02 for w in ours) / max(len(ours), 1)
        zero_w = sum(w.end - w.start < 0.02 for w in theirs) / max(len(theirs), 1)
        print(f"{row['name']:30s} matched {len(pairs)}/{len(ours)} words, mean |Δstart| {gaps.mean():.3f} s, "
              f"median {np.median(gaps):.3f} s, max {gaps.max():.3f} s; zero-length words {zero:.0%} (whisper {zero_w:.0%})")
        assert len(pairs) >= 0.8 * len(ours)
        assert np.median(gaps) <= 0.1 and gaps.mean() <= 0.3


def test_first_and_last_word_land_on_the_speech(runs):
    """Word times against the truth where it is known: in the composite, each known text's speech
    starts and ends where its energy-gated turns do; the first word heard there should start near
    that start and the last word end near that end."""
    composite = next(row for row in runs if row["turns"])
    print("\nfirst word start / last word end vs the speech span (composite, seconds off)")
    for s, e, text in composite["texts"]:
        spoken = [t for t in composite["turns"] if s <= t[0] and t[1] <= e]
        truth = (min(t[0] for t in spoken), max(t[1] for t in spoken))
        errors = {}
        for mode in ("whisper", "aligned"):
            words = [w for seg in composite[mode].segments for w in seg.words if s - 0.5 <= (w.start + w.end) / 2 <= e + 0.5]
            errors[mode] = (abs(words[0].start - truth[0]), abs(words[-1].end - truth[1]))
        print(f"{text[:30]:32s} whisper {errors['whisper'][0]:.2f} / {errors['whisper'][1]:.2f}   "
              f"decode+align {errors['aligned'][0]:.2f} / {errors['aligned'][1]:.2f}")
        # no further off than word_timestamps=True's words (same aligner), and within a second
        assert max(errors["aligned"]) <= max(errors["whisper"]) + 0.1 and max(errors["aligned"]) <= 1.0, (text, errors)


def test_span_wer_counts_only_the_reference_stretch():
    assert _span_wer("ask not what", "fellow Americans ask not what your country") == 0.0
    assert _span_wer("ask not what", "fellow Americans ask what your") == pytest.approx(1 / 3)
    assert _span_wer("ask not what", "") == 1.0


def test_method_is_selectable(monkeypatch, eval_dir):
    monkeypatch.delenv("DUBSITE_ASR_WORD_TIMES", raising=False)
    assert asr.word_times_method() == "aligned"
    monkeypatch.setenv("DUBSITE_ASR_WORD_TIMES", "whisper")
    assert asr.word_times_method() == "whisper" and asr.word_times_method("aligned") == "aligned"
    with pytest.raises(MediaError, match="word_times must be one of"):
        asr.transcribe(eval_dir / "jfk.flac", word_times="dtw")
