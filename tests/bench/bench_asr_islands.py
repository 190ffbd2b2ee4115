"""Whole decode against stretches of talk decoded one by one (media.asr_islands), on composite
episodes: words heard, the known texts' WER and CPU seconds, on the clean speech and on the mix
(speech over the music bed), islands cut from the reference turns (a perfect diarization) and,
on the mix, from the product's own diarization.

    python tests/bench/bench_asr_islands.py [--repeats 1,3]

There is no reference transcript of sample.wav or the AMI excerpts, so "words heard" is a count,
not an accuracy: read it with the phrases printed (heard by one way, not the other).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MODELS_DIR", str(ROOT / "var" / "models"))


def _words(transcript) -> list[tuple[float, str]]:
    from media.metrics import normalize_text

    return [(w.start, t) for s in transcript.segments for w in s.words for t in normalize_text(w.text).split()]


def _only_in(a, b) -> list[str]:
    """Runs of words of `a` that `b` does not have (by text, in order)."""
    from difflib import SequenceMatcher

    ta, tb = [t for _, t in a], [t for _, t in b]
    runs = []
    for op, i1, i2, _, _ in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op in ("delete", "replace") and i2 - i1 >= 3:
            runs.append(f"{a[i1][0]:.0f}s \"{' '.join(ta[i1:i2])}\"")
    return runs


def main() -> int:
    from tests.conftest import find_eval_data

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", default="1,3")
    args = parser.parse_args()
    eval_dir = find_eval_data()
    if eval_dir is None:
        print("evaluation recordings not found (../shared/eval-data or DUBSITE_EVAL_DATA)")
        return 0
    from media import diarization
    from media.asr import transcribe
    from media.asr_islands import speech_islands
    from media.audio import load
    from tests.media.test_asr_word_times import _span_wer
    from tests.composite import RATE, build_composite

    print("| episode | audio | islands from | islands | words: whole / islands | known texts WER: whole / islands "
          "| CPU s: whole / islands |\n| --- | --- | --- | --- | --- | --- | --- |")
    phrases = []
    for repeats in (int(r) for r in args.repeats.split(",")):
        c = build_composite(eval_dir, Path(tempfile.mkdtemp()) / "composite", repeats=repeats)
        cases = [("speech", c.speech, "reference", c.turns), ("mix", c.mix, "reference", c.turns)]
        cases.append(("mix", c.mix, "diarization", [(t.start, t.end) for t in diarization.diarize(c.mix).turns]))
        for stem, path, source, turns in cases:
            samples = load(path, mono=True, sample_rate=RATE).samples
            islands = speech_islands(turns, c.duration)
            heard, cpu = {}, {}
            for how, options in (("whole", {}), ("islands", {"islands": islands})):
                began = time.process_time()
                heard[how] = transcribe(samples, sample_rate=RATE, language="en", **options)
                cpu[how] = time.process_time() - began
            # each known text against the best-matching stretch of what was heard around it
            known = {how: sum(_span_wer(text, " ".join(s.text for s in t.segments if s.start < e + 0.5 and s.end > s0 - 0.5))
                              for s0, e, text in c.texts) / max(len(c.texts), 1) for how, t in heard.items()}
            words = {how: _words(t) for how, t in heard.items()}
            print(f"| {c.duration:.0f} s x{repeats} | {stem} | {source} | {len(islands)} | {len(words['whole'])} / "
                  f"{len(words['islands'])} | {known['whole']:.3f} / {known['islands']:.3f} | "
                  f"{cpu['whole']:.1f} / {cpu['islands']:.1f} |", flush=True)
            if repeats == 1:
                phrases.append(f"{stem}, {source}: heard only whole: {_only_in(words['whole'], words['islands'])}; "
                               f"only by islands: {_only_in(words['islands'], words['whole'])}")
    print("\n".join(phrases))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
