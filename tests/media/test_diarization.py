"""Diarization on real recordings (DER vs ground truth), the fallback engine, the full pyannote
pipeline's real loading code on tiny random-weight models, RTTM, smoothing, bad input."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from media import diarization, metrics
from media.diarization import Diarization, Turn, read_rttm, relabel, smooth, write_rttm
from media.errors import EngineFailed, InvalidMediaError, MediaError

SR = 16000


def _offline_ready():
    ok, reason = diarization.PyannoteOffline().availability()
    if not ok:
        pytest.skip(reason)


def _check_labels(result: Diarization):
    firsts = []
    for t in result.turns:  # turns are time-ordered; labels numbered by first appearance
        if t.speaker not in firsts:
            firsts.append(t.speaker)
    assert firsts == [f"SPEAKER_{i:02d}" for i in range(len(firsts))]
    assert result.num_speakers == len(firsts)


@pytest.mark.slow
@pytest.mark.parametrize("embedding", [None, "resemblyzer"], ids=["best", "resemblyzer"])
def test_offline_on_sample_finds_two_speakers_with_low_der(eval_dir, embedding):
    _offline_ready()
    result = diarization.diarize(eval_dir / "sample.wav", engine="pyannote-offline", embedding=embedding)
    reference = read_rttm(eval_dir / "sample.rttm")["sample"]
    score = metrics.der(reference, result.turns, collar=0.25)
    print(f"sample.wav: DER {score.der:.3f} ({result.num_speakers} speakers) {result.notes}")
    assert result.engine == "pyannote-offline"
    assert result.num_speakers == 2
    assert score.der <= 0.10
    _check_labels(result)
    assert all(0 <= t.start < t.end <= 30.0 + 1e-6 for t in result.turns)


@pytest.mark.slow
@pytest.mark.parametrize("uri", ["trn07", "trn08"])
def test_offline_on_ami_meeting_excerpts(eval_dir, uri):
    """4 people with heavy overlap: DER is reported; the speaker count must be 4 ± 1."""
    _offline_ready()
    references = read_rttm(eval_dir / "trn07_trn08.rttm")  # one RTTM, two files (uri = file stem)
    assert set(references) == {"trn07", "trn08"}
    result = diarization.diarize(eval_dir / f"{uri}.wav")
    score = metrics.der(references[uri], result.turns, collar=0.25)
    print(f"{uri}.wav: DER {score.der:.3f} (missed {score.missed:.1f} s, false alarm {score.false_alarm:.1f} s, "
          f"confusion {score.confusion:.1f} s of {score.total:.1f} s), {result.num_speakers} speakers")
    assert result.engine == "pyannote-offline"
    assert 3 <= result.num_speakers <= 5
    assert score.der < 0.7  # regression guard; most of the error is overlapped speech the model cannot split


@pytest.mark.slow
def test_speaker_bounds_are_honoured(eval_dir):
    _offline_ready()
    result = diarization.diarize(eval_dir / "trn08.wav", min_speakers=4, max_speakers=4)
    assert result.num_speakers == 4
    with pytest.raises(MediaError, match="larger than max_speakers"):
        diarization.diarize(eval_dir / "trn08.wav", min_speakers=3, max_speakers=2)


@pytest.mark.slow
def test_fallback_vad_clustering_on_sample(eval_dir):
    result = diarization.diarize(eval_dir / "sample.wav", engine="vad-clustering")
    reference = read_rttm(eval_dir / "sample.rttm")["sample"]
    score = metrics.der(reference, result.turns, collar=0.25)
    print(f"fallback sample.wav: DER {score.der:.3f}, {result.num_speakers} speakers, {result.notes}")
    assert result.engine == "vad-clustering"
    assert result.num_speakers == 2
    assert score.der < 0.35
    _check_labels(result)


@pytest.mark.slow
def test_registry_falls_back_without_segmentation_weights(eval_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))  # no pyannote, no segmentation, no CAM++
    reg = diarization.registry()
    selection = reg.select()
    assert selection.name == "vad-clustering"
    reasons = dict((s.engine, s.reason) for s in selection.skipped)
    assert "no full pyannote pipeline" in reasons["pyannote"]
    assert "segmentation" in reasons["pyannote-offline"] and "install-bundled" in reasons["pyannote-offline"]
    clip, _ = sf.read(eval_dir / "sample.wav", dtype="float32", frames=12 * SR)
    result = diarization.diarize(clip, SR)
    assert result.engine == "vad-clustering" and "skipped pyannote" in result.notes[0]
    with pytest.raises(EngineFailed, match="pyannote-offline"):
        diarization.diarize(clip, SR, engine="pyannote-offline")  # a named engine never silently swaps


def _save_pyannote_checkpoint(model, folder: Path):
    """The checkpoint layout pyannote's Model.from_pretrained reads (what Lightning would write)."""
    import lightning
    import pyannote.audio
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    torch.save({
        "pytorch-lightning_version": lightning.__version__, "state_dict": model.state_dict(),
        "hparams_name": "kwargs", "hyper_parameters": dict(model.hparams),
        "pyannote.audio": {"versions": {"torch": torch.__version__, "pyannote.audio": pyannote.audio.__version__},
                           "architecture": {"module": type(model).__module__, "class": type(model).__name__},
                           "specifications": model.specifications},
    }, folder / "pytorch_model.bin")


def build_tiny_pyannote_pipeline(root: Path) -> Path:
    """A community-1 style pipeline directory (config.yaml with $model/ subfolders, VBx + PLDA)
    made of pyannote's own classes with random weights."""
    import torch
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding import XVectorMFCC
    from pyannote.audio.models.segmentation import PyanNet

    torch.manual_seed(0)
    seg = PyanNet(sincnet={"stride": 10},
                  lstm={"hidden_size": 16, "num_layers": 1, "bidirectional": True, "monolithic": True},
                  linear={"hidden_size": 16, "num_layers": 1})
    seg.specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION, resolution=Resolution.FRAME, duration=10.0,
        classes=["speaker#1", "speaker#2", "speaker#3"], powerset_max_classes=2, permutation_invariant=True)
    seg.build()
    _save_pyannote_checkpoint(seg, root / "segmentation")
    emb = XVectorMFCC(dimension=16)
    emb.specifications = Specifications(problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=3.0)
    _save_pyannote_checkpoint(emb, root / "embedding")
    (root / "plda").mkdir()
    rng = np.random.default_rng(0)
    np.savez(root / "plda" / "xvec_transform.npz", mean1=np.zeros(16), mean2=np.zeros(8),
             lda=rng.standard_normal((16, 8)))
    np.savez(root / "plda" / "plda.npz", mu=np.zeros(8), tr=np.eye(8), psi=np.linspace(2.0, 0.5, 8))
    (root / "config.yaml").write_text(
        "pipeline:\n  name: pyannote.audio.pipelines.SpeakerDiarization\n  params:\n"
        "    clustering: VBxClustering\n    embedding: $model/embedding\n    embedding_batch_size: 8\n"
        "    embedding_exclude_overlap: true\n    plda: $model/plda\n    segmentation: $model/segmentation\n"
        "    segmentation_batch_size: 8\n"
        "params:\n  clustering:\n    threshold: 0.6\n    Fa: 0.07\n    Fb: 0.8\n"
        "  segmentation:\n    min_duration_off: 0.0\n")
    return root


@pytest.mark.slow
def test_full_pyannote_pipeline_loads_and_runs_tiny_models(eval_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    engine = diarization.PyannoteFull()
    ok, reason = engine.availability()
    assert not ok and "no full pyannote pipeline" in reason and "config.yaml" in reason
    build_tiny_pyannote_pipeline(tmp_path / "pyannote" / "diarization")
    assert engine.availability()[0]
    assert diarization.registry().select().name == "pyannote"  # preferred when present
    clip, _ = sf.read(eval_dir / "sample.wav", dtype="float32", frames=11 * SR)
    result = diarization.diarize(clip, SR)
    assert result.engine == "pyannote"
    assert any("pipeline=" in n for n in result.notes)
    # random weights: no claim about quality, only that the output is well-formed
    assert all(0 <= t.start < t.end <= 11.0 + 1e-6 for t in result.turns)
    _check_labels(result)


def test_bad_inputs(tmp_path):
    with pytest.raises(InvalidMediaError, match="too short"):
        diarization.diarize(np.ones(SR // 4, np.float32) * 0.1, SR)
    silent = diarization.diarize(np.zeros(SR * 3, np.float32), SR)
    assert silent.turns == [] and silent.num_speakers == 0 and "silent input" in silent.notes
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(InvalidMediaError):
        diarization.diarize(empty)
    eight = tmp_path / "eight.wav"
    sf.write(eight, np.zeros((SR, 8), np.float32), SR)
    with pytest.raises(InvalidMediaError, match="8 channels"):
        diarization.diarize(eight)
    with pytest.raises(MediaError, match="at least 1"):
        diarization.diarize(np.zeros(SR, np.float32), SR, num_speakers=0)


def test_rttm_roundtrip(tmp_path, eval_dir):
    turns = [Turn(0.5, 1.25, "SPEAKER_00"), Turn(1.0, 2.0, "SPEAKER_01")]
    path = write_rttm(turns, tmp_path / "out" / "a.rttm", uri="my episode")
    assert path.read_text().splitlines()[0] == "SPEAKER my_episode 1 0.500 0.750 <NA> <NA> SPEAKER_00 <NA> <NA>"
    assert read_rttm(path) == {"my_episode": turns}
    sample = read_rttm(eval_dir / "sample.rttm")["sample"]
    assert len(sample) == 10 and {t.speaker for t in sample} == {"speaker90", "speaker91"}
    bad = tmp_path / "bad.rttm"
    bad.write_text("SPEAKER x 1 0.0\n")
    with pytest.raises(MediaError, match="malformed"):
        read_rttm(bad)


def test_smoothing_rules():
    a, b = "A", "B"
    # A-B-A flip of 0.2 s becomes A, and the gap-filled A turn is one turn
    assert smooth([Turn(0, 2, a), Turn(2.0, 2.2, b), Turn(2.2, 4, a)]) == [Turn(0, 4, a)]
    # small same-speaker gap filled, larger gap kept
    assert smooth([Turn(0, 1, a), Turn(1.2, 2, a), Turn(3, 4, a)]) == [Turn(0, 2, a), Turn(3, 4, a)]
    # a short turn inside another speaker's turn is a flicker: dropped
    assert smooth([Turn(0, 5, a), Turn(2, 2.1, b)]) == [Turn(0, 5, a)]
    # an isolated short turn is real speech: kept
    assert smooth([Turn(0, 2, a), Turn(5, 5.2, b)]) == [Turn(0, 2, a), Turn(5, 5.2, b)]
    # long overlapping turns are left alone
    assert smooth([Turn(0, 3, a), Turn(2, 5, b)]) == [Turn(0, 3, a), Turn(2, 5, b)]


def test_relabel_and_exclusive_view():
    turns = relabel([Turn(5, 6, "x"), Turn(0, 2, "y"), Turn(1, 3, "x")])
    assert turns == [Turn(0, 2, "SPEAKER_00"), Turn(1, 3, "SPEAKER_01"), Turn(5, 6, "SPEAKER_01")]
    excl = Diarization(turns, "test", 2).exclusive()
    assert all(x.end <= y.start for x, y in zip(excl, excl[1:]))  # no overlap left
    assert excl[0].start == 0 and excl[-1] == Turn(5, 6, "SPEAKER_01")
    assert sum(t.duration for t in excl) == pytest.approx(4.0)


@pytest.mark.slow
def test_cli_writes_rttm(eval_dir, tmp_path):
    from media.cli import main

    out = tmp_path / "sample.rttm"
    assert main(["diarize", str(eval_dir / "sample.wav"), "--max-speakers", "4", "--rttm", str(out)]) == 0
    turns = read_rttm(out)["sample"]
    assert len({t.speaker for t in turns}) == 2
    assert main(["diarize", str(eval_dir / "sample.wav"), "--engine", "nope", "--rttm", str(out)]) == 1


@pytest.mark.slow
def test_progress_follows_the_offline_pipeline(eval_dir):
    """A long episode's diarization moves the job's progress bar instead of freezing it."""
    _offline_ready()
    seen = []
    diarization.diarize(eval_dir / "sample.wav", engine="pyannote-offline", progress=seen.append)
    assert len(seen) >= 3 and seen == sorted(seen), seen
    assert seen[0] < 0.3 and 0.9 <= seen[-1] <= 1.0
