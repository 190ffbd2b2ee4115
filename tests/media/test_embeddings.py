"""Speaker embeddings: identity on real recordings for every available engine, ECAPA's real
loading code on a tiny random-weight model, model-id safety, bad input."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import soundfile as sf

from media import embeddings
from media.diarization import read_rttm
from media.embeddings import CamPlusPlus, Ecapa, Embedding, EmbeddingMismatch, Resemblyzer, cosine
from media.errors import EngineFailed, InvalidMediaError

SR = 16000


def clean_speech(samples: np.ndarray, turns, speaker: str) -> np.ndarray:
    """Audio where `speaker` talks and nobody else does (10 ms resolution)."""
    step = 160
    frames = len(samples) // step
    me, other = np.zeros(frames, bool), np.zeros(frames, bool)
    for t in turns:
        a, b = int(t.start * 100), min(frames, int(t.end * 100))
        (me if t.speaker == speaker else other)[a:b] = True
    mask = np.repeat(me & ~other, step)
    return samples[: len(mask)][mask]


def build_tiny_ecapa(folder):
    """speechbrain's own ECAPA_TDNN with random weights, in the published model's layout
    (hyperparams.yaml naming the hub in pretrained_path, as spkrec-ecapa-voxceleb does)."""
    import torch
    from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = ECAPA_TDNN(input_size=40, channels=[32, 32, 32, 32, 96], lin_neurons=16)
    torch.save(model.state_dict(), folder / "embedding_model.ckpt")
    (folder / "hyperparams.yaml").write_text(
        "pretrained_path: speechbrain/spkrec-ecapa-voxceleb\n"
        "n_mels: 40\n"
        "compute_features: !new:speechbrain.lobes.features.Fbank\n    n_mels: !ref <n_mels>\n"
        "mean_var_norm: !new:speechbrain.processing.features.InputNormalization\n"
        "    norm_type: sentence\n    std_norm: False\n"
        "embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN\n"
        "    input_size: !ref <n_mels>\n    channels: [32, 32, 32, 32, 96]\n    lin_neurons: 16\n"
        "modules:\n    compute_features: !ref <compute_features>\n    mean_var_norm: !ref <mean_var_norm>\n"
        "    embedding_model: !ref <embedding_model>\n"
        "pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer\n"
        "    loadables:\n        embedding_model: !ref <embedding_model>\n"
        "    paths:\n        embedding_model: !ref <pretrained_path>/embedding_model.ckpt\n")
    return folder


@pytest.fixture(scope="module")
def sample_speakers(eval_dir):
    samples, _ = sf.read(eval_dir / "sample.wav", dtype="float32")
    turns = read_rttm(eval_dir / "sample.rttm")["sample"]
    a, b = (clean_speech(samples, turns, s) for s in ("speaker90", "speaker91"))
    assert len(a) > 8 * SR and len(b) > 8 * SR
    return a, b


@pytest.mark.slow
@pytest.mark.parametrize("engine", [CamPlusPlus(), Resemblyzer()], ids=lambda e: e.name)
def test_same_speaker_scores_above_other_speaker(engine, sample_speakers):
    ok, reason = engine.availability()
    if not ok:
        pytest.skip(reason)
    a, b = sample_speakers
    halves = lambda x: [engine.embed(x[: len(x) // 2], SR), engine.embed(x[len(x) // 2:], SR)]
    A, B = halves(a), halves(b)
    same = [cosine(*A), cosine(*B)]
    diff = [cosine(p, q) for p in A for q in B]
    print(f"{engine.name}: same {np.round(same, 3)} different {np.round(diff, 3)}")
    assert min(same) > max(diff) + 0.05
    assert A[0].dim == engine.dim and A[0].vector.shape == (engine.dim,)
    assert np.linalg.norm(A[0].vector) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_campplus_recognises_a_person_across_episodes(eval_dir):
    """trn07/trn08 are two excerpts of one meeting: FEE087 in 'episode 1' must be closer to
    FEE087 in 'episode 2' than to anyone else there (what voice memory relies on)."""
    engine = CamPlusPlus()
    ok, reason = engine.availability()
    if not ok:
        pytest.skip(reason)
    refs = read_rttm(eval_dir / "trn07_trn08.rttm")
    ep1, _ = sf.read(eval_dir / "trn07.wav", dtype="float32")
    ep2, _ = sf.read(eval_dir / "trn08.wav", dtype="float32")
    anchor = engine.embed(clean_speech(ep1, refs["trn07"], "FEE087"), SR)
    others = {s: engine.embed(clean_speech(ep2, refs["trn08"], s), SR) for s in ("FEE087", "FEE088")}
    scores = {s: cosine(anchor, e) for s, e in others.items()}
    print("FEE087 (trn07) vs trn08:", {s: round(v, 3) for s, v in scores.items()})
    assert scores["FEE087"] > scores["FEE088"] + 0.15


@pytest.mark.slow
def test_ecapa_real_loading_code_on_tiny_model(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    engine = Ecapa()
    ok, reason = engine.availability()
    assert not ok and "no ECAPA model" in reason and "hyperparams.yaml" in reason
    build_tiny_ecapa(tmp_path / "ecapa")
    assert engine.availability()[0]
    rng = np.random.default_rng(0)
    emb = engine.embed(rng.standard_normal(SR * 2).astype(np.float32) * 0.1, SR)
    assert emb.dim == 16 and emb.vector.shape == (16,) and emb.model_id.startswith("ecapa-16:")
    rows = engine.embed_many([rng.standard_normal(n).astype(np.float32) * 0.1 for n in (4000, SR, 3 * SR)])
    assert rows.shape == (3, 16)
    assert np.isnan(rows[0]).all() and np.isfinite(rows[1:]).all()  # 0.25 s is too short to embed
    # it is first in preference order when present
    assert embeddings.registry().select().name == "ecapa"


def test_unavailability_reasons_without_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    ok, reason = CamPlusPlus().availability()
    assert not ok and "campplus_cn_en_common.pt" in reason and "install-bundled" in reason
    selection = embeddings.registry().select()
    assert selection.name == "resemblyzer"
    assert [s.engine for s in selection.skipped] == ["ecapa", "campplus"]
    with pytest.raises(EngineFailed, match="campplus"):
        embeddings.embed(np.zeros(SR, np.float32) + 0.1, SR, engine="campplus")  # named: no silent fallback


def test_cosine_refuses_different_models_and_roundtrips():
    a = Embedding(np.array([0.6, 0.8], np.float32), "campplus-192:x", 2)
    assert cosine(a, a) == pytest.approx(1.0)
    with pytest.raises(EmbeddingMismatch, match="different models"):
        cosine(a, Embedding(a.vector, "resemblyzer-256:0.1.4", 2))
    back = Embedding.from_dict(json.loads(json.dumps(a.as_dict())))
    assert back.model_id == a.model_id and back.dim == 2 and np.allclose(back.vector, a.vector)


@pytest.mark.slow
def test_bad_inputs(tmp_path):
    engine = Resemblyzer()
    with pytest.raises(InvalidMediaError, match="too short"):
        engine.embed(np.ones(SR // 4, np.float32) * 0.1, SR)
    with pytest.raises(InvalidMediaError, match="silent"):
        engine.embed(np.zeros(SR * 2, np.float32), SR)
    eight = tmp_path / "eight.wav"
    sf.write(eight, np.zeros((SR, 8), np.float32), SR)
    with pytest.raises(InvalidMediaError, match="8 channels"):
        engine.embed(eight)
    corrupt = tmp_path / "bad.wav"
    corrupt.write_bytes(b"not audio at all" * 20)
    with pytest.raises(InvalidMediaError):
        engine.embed(corrupt)


@pytest.mark.slow
def test_cli_embed_writes_model_id_dim_vector(eval_dir, tmp_path):
    from media.cli import main

    out = tmp_path / "e.json"
    assert main(["embed", str(eval_dir / "jfk.flac"), "--engine", "resemblyzer", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["model_id"].startswith("resemblyzer-256") and data["dim"] == 256 and len(data["vector"]) == 256
    assert main(["embed", str(tmp_path / "missing.wav"), "--json", str(out)]) == 1


def test_embedding_pairs_of_engines_never_compare():
    """Every engine has its own id space: ids differ across engines."""
    ids = [Resemblyzer().model_id]
    if CamPlusPlus().availability()[0]:
        ids.append(CamPlusPlus().model_id)
    assert all(x != y for x, y in itertools.combinations(ids, 2))
