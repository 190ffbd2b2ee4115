"""Pass 2 without a cloning engine: each speaker gets the preset voice nearest their ref."""
from __future__ import annotations

import numpy as np
import pytest

from voices.voicing import plan_voices
from media.audio import load
from media.diarization import Turn, read_rttm
from media.embeddings import cosine, registry as embedding_registry
from media.refs import build_refs
from media.tts import TtsRequest, synthesize
from media.vad import detect
from media.voice_match import PROBE_TEXT

pytestmark = pytest.mark.slow

FEMALE, MALE = "FEE087", "JFK"  # AMI speaker FEE087 is a woman (FEE = female); jfk.flac a man


@pytest.fixture(scope="module")
def refs(eval_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("refs")
    meeting = load(eval_dir / "trn08.wav", mono=True, sample_rate=16000)
    jfk = load(eval_dir / "jfk.flac", mono=True, sample_rate=16000)
    built = {}
    for audio, turns in ((meeting, read_rttm(eval_dir / "trn07_trn08.rttm")["trn08"]),
                         (jfk, [Turn(0.0, jfk.duration, MALE)])):
        built.update(build_refs(audio.samples, 16000, turns, detect(audio.samples, 16000), out))
    return out, {k: {"path": v.path, "clone_path": v.clone_path, "f0_hz": v.f0_hz, "reason": v.reason}
                 for k, v in built.items() if k in (FEMALE, MALE)}


def _plan(refs, clone: bool):
    folder, speakers = refs
    return plan_voices(speakers=[FEMALE, MALE], characters={}, saved={}, refs=speakers, clone=clone,
                       language="en", local=lambda rel: folder / rel, talk_time={FEMALE: 10.0, MALE: 9.0})


def _similarity(embedder, ref_path, voice):
    ref = load(ref_path, mono=True, sample_rate=16000).samples
    probe = synthesize(TtsRequest(PROBE_TEXT, "en", voice=voice), preference=[voice.engine])
    return cosine(embedder.embed(ref, 16000), embedder.embed(probe.samples, probe.sample_rate)), probe


def test_matched_preset_is_closer_than_pass_one_and_differs_by_gender(refs, monkeypatch, tmp_path):
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))  # no cloning engine here: pass 2 must match presets
    first, second = _plan(refs, False), _plan(refs, True)
    embedder = embedding_registry().select().engine
    probes = {}
    for speaker in (FEMALE, MALE):
        choice = second[speaker]
        assert choice.source == "matched_preset" and choice.similarity is not None
        ref_path = refs[0] / refs[1][speaker]["path"]
        matched, probes[speaker] = _similarity(embedder, ref_path, choice.voice)
        default, _ = _similarity(embedder, ref_path, first[speaker].voice)
        print(f"{speaker}: pass 1 {first[speaker].voice.key} {default:.3f} → pass 2 {choice.voice.key} {matched:.3f}")
        assert matched > default
    f, m = (embedder.embed(probes[s].samples, probes[s].sample_rate) for s in (FEMALE, MALE))
    assert second[FEMALE].voice.key != second[MALE].voice.key
    assert cosine(f, m) < 0.8  # clearly different voices (same voice ≈ 0.9)
    assert np.isfinite([second[FEMALE].similarity, second[MALE].similarity]).all()
