"""Where the voice-memory thresholds come from: same person in two recordings vs two different
people, for each embedding model this machine has, on every eval-data recording. Printed with
`make eval` (-s) and asserted: no two different people above a model's threshold (a false merge
gives one person's voice to another and is the costly error), and for the default model (CAM++)
every same-person pair above it."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from media.audio import load
from media.diarization import Turn
from media.embeddings import cosine, registry
from media.refs import clean_speech
from voices.matching import thresholds_for

pytestmark = pytest.mark.slow


def _rttm(eval_dir, name, uri, lo=0.0, hi=1e9):
    out = []
    for line in (eval_dir / name).read_text().splitlines():
        p = line.split()
        a, b = float(p[3]), float(p[3]) + float(p[4])
        if p[1] == uri and b > lo and a < hi:
            out.append(Turn(max(a, lo) - lo, min(b, hi) - lo, p[7]))
    return out


def _clips(eval_dir) -> list[tuple[str, str, np.ndarray]]:
    """(recording, person, ≥ 1 s of that person's clean speech) for every person and recording."""
    clips = []

    def add(recording, wav, turns, lo=0.0, hi=1e9, prefix=""):
        x = load(wav, mono=True, sample_rate=16000).samples[int(lo * 16000): int(min(hi, 1e5) * 16000)]
        for person in sorted({t.speaker for t in turns}):
            clip, seconds, overlapped = clean_speech(x, 16000, turns, person)
            if seconds >= 1.0 and not overlapped:
                clips.append((recording, prefix + person, clip))

    add("trn07", eval_dir / "trn07.wav", _rttm(eval_dir, "trn07_trn08.rttm", "trn07"))
    add("trn08", eval_dir / "trn08.wav", _rttm(eval_dir, "trn07_trn08.rttm", "trn08"))
    add("sample[0-15]", eval_dir / "sample.wav", _rttm(eval_dir, "sample.rttm", "sample", 0, 15), 0, 15)
    add("sample[15-30]", eval_dir / "sample.wav", _rttm(eval_dir, "sample.rttm", "sample", 15, 30), 15, 30)
    jfk = load(eval_dir / "jfk.flac", mono=True, sample_rate=16000).samples
    half = len(jfk) // 2
    clips += [("jfk[a]", "jfk", jfk[:half]), ("jfk[b]", "jfk", jfk[half:])]
    stereo = load(eval_dir / "stereo_diarization.wav", mono=False, sample_rate=16000).samples
    clips += [("stereo", "stereo-left", stereo[:, 0] if stereo.ndim == 2 else stereo[0]),
              ("stereo", "stereo-right", stereo[:, 1] if stereo.ndim == 2 else stereo[1])]
    return clips


@pytest.mark.parametrize("name", ["campplus", "resemblyzer", "ecapa"])
def test_thresholds_separate_people_on_the_eval_recordings(eval_dir, name):
    engine = registry().get(name)
    ok, why = engine.availability()
    if not ok:
        pytest.skip(f"{name} not installed: {why}")
    embedded = [(rec, person, engine.embed(clip, 16000)) for rec, person, clip in _clips(eval_dir)]
    same, different = [], []
    for (r1, p1, e1), (r2, p2, e2) in itertools.combinations(embedded, 2):
        if r1 == r2:
            continue  # within one recording the matching is one-to-one anyway
        (same if p1 == p2 else different).append((round(cosine(e1, e2), 3), f"{r1}:{p1} ~ {r2}:{p2}"))
    t = thresholds_for(engine.model_id)
    same.sort()
    different.sort(reverse=True)
    print(f"\n{engine.model_id}: threshold {t.accept:.2f}, margin {t.margin:.2f}")
    print(f"  same person, other recording ({len(same)} pairs): " + ", ".join(f"{s} {w}" for s, w in same))
    print(f"  different people, highest 5 of {len(different)}: " + ", ".join(f"{s} {w}" for s, w in different[:5]))
    assert same and different
    assert different[0][0] < t.accept, f"different people above the threshold: {different[0]}"
    if name == "campplus":
        assert same[0][0] >= t.accept, f"the same person below the threshold: {same[0]}"
