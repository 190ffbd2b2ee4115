"""Calibration of the diarization cut (media/diarization/clustering.py CALIBRATION) on speech
that is not the test episode's mixture, and its check against composite episodes.

    MODELS_DIR=var/models python tests/bench/calibrate_diarization.py calibrate --sources clean,drums,bed,tts --out var/cal
    MODELS_DIR=var/models python tests/bench/calibrate_diarization.py dump --repeats 1,3,12 --out var/cal
    MODELS_DIR=var/models python tests/bench/calibrate_diarization.py loro --sources clean,drums --steps 2 --out var/cal --dumps var/cal
    MODELS_DIR=var/models python tests/bench/calibrate_diarization.py sweep --dumps var/cal

(--out caches each source's embeddings there; dump saves each composite's segmentation and chunk
embeddings, which loro and sweep re-cluster without running the models again.)

Calibration pairs are CAM++ embeddings of the chunks the clustering sees: 10 s windows every
`step` seconds (pyannote_engines.STEP), one embedding per reference speaker who is alone in the
window for >= 2 s (clustering.MIN_ACTIVE_RATIO), made of that speaker's alone samples as
EmbeddingAdapter makes it. The speaker masks come from the reference turns (an oracle
segmentation), so the pairs measure the embedding, not the segmentation's mistakes. Sources:

- clean: each eval recording alone, as recorded (no bed), reference turns;
- drums: the same under tests.composite.percussion (a drum loop, not the composite's bed) at -6 dB;
- bed: the same recordings cut out of the x1 composite (with its music bed): the test
  mixture itself, printed only to see what the bed does, never used for the cut;
- tts: voices synthesized by the bundled TTS engines (flite voices, espeak-ng variants, Piper
  joe with pitch shifts), each reading different sentences, alone: independent of the eval data.

Per source: the equal-error point (clustering.eer_threshold) of same- vs different-speaker pair
similarities, over all pairs and over pairs within one recording (what diarization decides), with
a 90 % bootstrap interval over embeddings (pairs of one embedding are not independent, so
resampling pairs would understate it). The cut (`rule_cut`) is the middle of the range the
within-recording intervals of clean and drums allow.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

RATE = 16000
WINDOW = 10.0


def chunk_embeddings(audio: np.ndarray, turns, engine, step: float, min_alone: float = 2.0):
    """(unit vectors, speaker labels) of the engine's chunks: 10 s windows every `step` s, one per
    reference speaker alone for >= min_alone s in the window."""
    hop = 0.01
    n = int(np.ceil(len(audio) / RATE / hop))
    names = sorted({w for _, _, w in turns})
    active = np.zeros((len(names), n), bool)
    for s, e, w in turns:
        active[names.index(w), int(s / hop): int(np.ceil(e / hop))] = True
    alone = active & (active.sum(axis=0) == 1)
    clips, labels = [], []
    start = 0.0
    last = max(len(audio) / RATE - WINDOW, 0.0)
    starts = list(np.arange(0.0, last + 1e-9, step))
    if not starts or starts[-1] < last - 1e-6:
        starts.append(last)  # pyannote pads the last window; this keeps the tail in one whole window
    for start in starts:
        a, b = int(start / hop), int((start + WINDOW) / hop)
        for k, w in enumerate(names):
            frames = np.flatnonzero(alone[k, a:b])
            if len(frames) * hop < min_alone:
                continue
            mask = np.zeros(int(WINDOW * RATE), bool)
            for f in frames:
                mask[int(f * hop * RATE): int((f + 1) * hop * RATE)] = True
            piece = audio[int(start * RATE): int(start * RATE) + len(mask)]
            clips.append(piece[mask[: len(piece)]])
            labels.append(w)
    if not clips:
        return np.zeros((0, engine.dim)), []
    vectors = engine.embed_many(clips)
    keep = ~np.isnan(vectors).any(axis=1)
    vectors = vectors[keep] / np.linalg.norm(vectors[keep], axis=1, keepdims=True)
    return vectors, [l for l, k in zip(labels, keep) if k]


def pairs(vectors: np.ndarray, labels, recordings=None):
    """Upper-triangle pair similarities and whether each pair is one speaker; with `recordings`,
    only pairs of one recording (the decision diarization makes: who in this file is who)."""
    names = np.asarray(labels)
    upper = np.triu_indices(len(vectors), 1)
    sims, same = (vectors @ vectors.T)[upper], (names[:, None] == names[None, :])[upper]
    if recordings is None:
        return sims, same
    rec = np.asarray(recordings)
    one = (rec[:, None] == rec[None, :])[upper]
    return sims[one], same[one]


def eer_with_interval(vectors: np.ndarray, labels, recordings=None, boot: int = 200, seed: int = 0) -> dict:
    """EER cut (cosine distance) of the pairs, and a 90 % bootstrap interval over embeddings."""
    from media.diarization.clustering import eer_threshold

    sims, same = pairs(vectors, labels, recordings)
    if not same.any() or same.all():
        return {"cut": None, "embeddings": len(vectors), "pairs": len(same)}  # one speaker per recording (tts)
    sim, eer = eer_threshold(sims, same)
    rng = np.random.default_rng(seed)
    names = np.asarray(labels)
    recs = None if recordings is None else np.asarray(recordings)
    cuts = []
    for _ in range(boot):
        idx = rng.integers(0, len(vectors), len(vectors))
        s, m = pairs(vectors[idx], names[idx], None if recs is None else recs[idx])
        copy = (idx[:, None] == idx[None, :])[np.triu_indices(len(idx), 1)]  # a copy is no pair
        if recs is not None:
            copy = copy[(recs[idx][:, None] == recs[idx][None, :])[np.triu_indices(len(idx), 1)]]
        s, m = s[~copy], m[~copy]
        if m.any() and (~m).any():
            cuts.append(1 - eer_threshold(s, m)[0])
    lo, hi = np.percentile(cuts, [5, 95]) if cuts else (np.nan, np.nan)
    return {"cut": round(1 - sim, 3), "eer": round(eer, 3), "lo": round(float(lo), 3), "hi": round(float(hi), 3),
            "embeddings": len(vectors), "speakers": len(set(labels)), "same_pairs": int(same.sum()),
            "different_pairs": int((~same).sum()),
            "same_p5": round(float(np.percentile(sims[same], 5)), 3) if same.any() else None,
            "different_p95": round(float(np.percentile(sims[~same], 95)), 3)}


def rule_cut(intervals: list[dict]) -> float:
    """The cut the calibration gives: the middle of the range every calibration condition's
    90 % interval allows (clean and under a drum loop), to 0.01. Not the point estimate: where
    the two distributions barely overlap (EER ~0.01, one or two pairs) the point is set by those
    few pairs, and the interval is what the data support."""
    lo, hi = max(r["lo"] for r in intervals), min(r["hi"] for r in intervals)
    if lo > hi:  # the conditions disagree: the middle of their points
        lo = hi = float(np.mean([r["cut"] for r in intervals]))
    return round((lo + hi) / 2, 2)


STEP_S = 2.0  # pyannote_engines.STEP * 10 s: the step of the episodes dumped for `loro`
CONDITIONS = ("clean", "drums")  # what the cut is calibrated on (bed: diagnosis only, tts: too clean)


# --- sources -------------------------------------------------------------------------------

def eval_recordings(eval_dir: Path):
    """(recording name, mono 16 kHz audio, turns with episode-wide speaker names)."""
    from tests.composite import _pieces

    names = ["jfk", "stereo_left", "stereo_right", "sample", "trn07", "trn08"]
    for i, (audio, turns, _) in enumerate(_pieces(eval_dir)):
        audio = audio / max(float(np.abs(audio).max()), 1e-6) * 0.5
        turns = [(s, e, f"{i}:{w}" if w.startswith("speaker") else w) for s, e, w in turns]
        yield names[i], audio, turns


def drum_recordings(eval_dir: Path, bed_db: float = -6.0):
    """Each recording alone under tests.composite.percussion (a drum loop, not the composite's
    chord bed) at `bed_db` under its speech RMS: a degraded condition that is not the test mix."""
    from tests.composite import percussion

    for name, audio, turns in eval_recordings(eval_dir):
        drums = percussion(len(audio) / RATE + 1, seed=len(audio))[: len(audio)]
        rms = float(np.sqrt(np.mean(audio**2)))
        drums *= rms * 10 ** (bed_db / 20) / max(float(np.sqrt(np.mean(drums**2))), 1e-9)
        yield name, audio + drums, turns


def bed_recordings(eval_dir: Path, folder: Path):
    """The same recordings cut out of the x1 composite mix (bed included), as the episode test does."""
    import soundfile as sf

    from tests.composite import build_composite

    episode = build_composite(eval_dir, folder / "ep1", repeats=1)
    mix, _ = sf.read(episode.mix, dtype="float32")
    at = 1.0
    for name, audio, turns in eval_recordings(eval_dir):
        start = int(round(at * RATE))
        yield name, mix[start: start + len(audio)], turns
        at += len(audio) / RATE + 1.0


SENTENCES = [
    "The committee will meet again on Thursday to review the budget for the coming year.",
    "I never thought the river could rise so quickly after only one night of rain.",
    "Please bring the blue folder from my desk, and close the window on your way out.",
    "She said the train was late again, so we waited almost an hour on the platform.",
    "Nobody in the village remembers a winter as cold as the one that followed.",
    "If you turn left after the bakery, you will see the old library on the corner.",
    "We could try the new restaurant downtown, but I hear it is always crowded.",
    "The results were surprising, and the team spent weeks checking every number twice.",
    "My grandfather kept bees behind the barn and sold the honey at the market.",
    "Tell me honestly, do you think the plan has any chance of working at all?",
    "The storm knocked out power across the county for nearly two full days.",
    "He fixed the bicycle himself, although it took him the better part of a weekend.",
]


def _read_wav(path: Path) -> np.ndarray:
    import soundfile as sf

    from media.audio import resample

    audio, sr = sf.read(path, dtype="float32", always_2d=True)
    return resample(audio.mean(axis=1), sr, RATE)


def tts_voices(folder: Path):
    """(voice name, audio, turns): each synthetic voice reads all sentences with 0.4 s pauses,
    one recording per voice (so a voice's chunks are its own, like a speaker in a scene)."""
    voices = [("flite", v) for v in ("kal16", "awb", "rms", "slt")]
    voices += [("espeak", v) for v in ("en-us+m1", "en-us+m3", "en-us+f2", "en-gb+m7", "en-gb-scotland+f4",
                                       "en-us+klatt2")]
    voices += [("piper", 0.0), ("piper", -3.0), ("piper", 4.0)]
    pause = np.zeros(int(0.4 * RATE), np.float32)
    for kind, v in voices:
        parts = []
        for k, text in enumerate(SENTENCES):
            wav = folder / f"{kind}-{v}-{k}.wav"
            if kind == "flite":
                subprocess.run(["flite", "-voice", v, "-t", text, "-o", str(wav)], check=True, timeout=120)
            elif kind == "espeak":
                subprocess.run(["espeak-ng", "-v", v, "-s", "165", "-w", str(wav), text], check=True, timeout=120)
            parts.append(_piper(text, v) if kind == "piper" else _read_wav(wav))
        audio, turns, at = [], [], 0.0
        for p in parts:
            p = p / max(float(np.abs(p).max()), 1e-6) * 0.5
            turns.append((at, at + len(p) / RATE, f"{kind}:{v}"))
            audio += [p.astype(np.float32), pause]
            at += (len(p) + len(pause)) / RATE
        yield f"{kind}:{v}", np.concatenate(audio), turns


def _piper(text: str, semitones: float) -> np.ndarray:
    """Piper joe (the bundled voice) with pitch and formants moved by `semitones`
    (media.tts.shift_voice, as the app builds extra voices from one): another-sounding person
    from one model, so these pairs are the hard case of near voices."""
    from media.audio import resample
    from media.tts.base import TtsRequest, VoiceSpec
    from media.tts.piper import DEFAULT_VOICE, PiperEngine

    spec = VoiceSpec(engine="piper", voice_id=DEFAULT_VOICE, pitch_semitones=semitones, formant_semitones=semitones)
    out = PiperEngine().synthesize(TtsRequest(text, "en", voice=spec))
    return resample(np.asarray(out.samples, np.float32), out.sample_rate, RATE)


def collect(source: str, step: float, engine, eval_dir: Path, folder: Path):
    """{recording: (vectors, labels)} for a source at a step."""
    items = {"clean": lambda: eval_recordings(eval_dir), "bed": lambda: bed_recordings(eval_dir, folder),
             "drums": lambda: drum_recordings(eval_dir),
             "tts": lambda: tts_voices(folder)}[source]()
    return {name: chunk_embeddings(audio, turns, engine, step) for name, audio, turns in items}


def pooled(per_recording: dict, leave_out=()):
    """(vectors, labels, recording of each) of all recordings but `leave_out`."""
    kept = [(k, v, ls) for k, (v, ls) in per_recording.items() if k not in leave_out and len(v)]
    return (np.concatenate([v for _, v, _ in kept]), [l for _, _, ls in kept for l in ls],
            [k for k, _, ls in kept for _ in ls])


# --- composite dumps and re-clustering ------------------------------------------------------

def dump(repeats: int, out: Path, eval_dir: Path) -> Path:
    """Diarize a composite with the engine's pipeline, keeping the segmentation and embeddings."""
    from media.diarization import pyannote_engines as engines
    from tests.composite import build_composite

    with tempfile.TemporaryDirectory() as tmp:
        episode = build_composite(eval_dir, Path(tmp) / "ep", repeats=repeats)
        samples = _read_wav(episode.mix)
        turns = episode.turns
    engine = engines.pick_embedding(None)
    step = engines.step_for(len(samples) / RATE)
    seg_dir, _ = engines.modelpaths.pyannote_segmentation()
    pipeline = engines._offline_pipeline(seg_dir, engine, engines.clustering_for(engine.name, step), step)
    artifacts = {}

    def hook(name, artifact, file=None, total=None, completed=None):
        if completed is None and name in ("segmentation", "embeddings"):
            artifacts[name] = artifact

    with engines.torch_threads():
        pipeline(engines._file(samples, "ep"), hook=hook)
    seg = artifacts["segmentation"]
    path = out / f"x{repeats}.npz"
    out.mkdir(parents=True, exist_ok=True)
    np.savez(path, seg=seg.data, start=seg.sliding_window.start, duration=seg.sliding_window.duration,
             step=seg.sliding_window.step, emb=artifacts["embeddings"],
             turns=json.dumps(turns), truth=len({w for _, _, w in turns}))
    return path


def recluster(path: Path, threshold: float) -> int:
    """Speaker count of a dumped composite re-clustered at `threshold`, as SpeakerClustering does
    (same embeddings kept, same size and apart rules)."""
    from pyannote.core import SlidingWindow, SlidingWindowFeature

    from media.diarization import clustering

    d = np.load(path)
    seg = SlidingWindowFeature(d["seg"], SlidingWindow(start=float(d["start"]), duration=float(d["duration"]),
                                                       step=float(d["step"])))
    vectors, chunk_idx, speaker_idx = clustering.speaker_clustering(threshold).filter_embeddings(
        d["emb"], segmentations=seg, min_active_ratio=clustering.MIN_ACTIVE_RATIO)
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    seconds = clustering._speech_seconds(seg, chunk_idx, speaker_idx)
    return int(clustering.cluster_embeddings(vectors, seconds, threshold, chunks=chunk_idx).max() + 1)


def main() -> None:
    from media.diarization import pyannote_engines as engines
    from tests.conftest import find_eval_data

    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["calibrate", "dump", "loro", "sweep"])
    parser.add_argument("--sources", default="clean,tts,bed")
    parser.add_argument("--steps", default="2,1")
    parser.add_argument("--boot", type=int, default=200)
    parser.add_argument("--repeats", default="1,3")
    parser.add_argument("--out", default="var/cal")
    parser.add_argument("--dumps", default="var/cal")
    args = parser.parse_args()
    eval_dir = find_eval_data()
    if args.what == "dump":
        for r in args.repeats.split(","):
            print(dump(int(r), Path(args.out), eval_dir), flush=True)
        return
    if args.what == "sweep":  # speaker count of each dumped episode by cut
        for path in sorted(Path(args.dumps).glob("x*.npz")):
            counts = {round(c, 2): recluster(path, round(c, 2)) for c in np.arange(0.30, 0.705, 0.01)}
            print(path.stem, " ".join(f"{c:.2f}:{k}" for c, k in counts.items()), flush=True)
        return
    engine = engines.pick_embedding(None)
    cache = Path(args.out)
    cache.mkdir(parents=True, exist_ok=True)
    within, data = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for source in args.sources.split(","):
            for step in (float(s) for s in args.steps.split(",")):
                key = cache / f"cal-{source}-{step:g}.npz"
                if key.exists():
                    per = np.load(key, allow_pickle=True)["per"].item()
                else:
                    per = collect(source, step, engine, eval_dir, Path(tmp))
                    np.savez(key, per=np.array(per, dtype=object))
                x, l, rec = pooled(per)
                for pairing, recs in (("all pairs", None), ("within recordings", rec)):
                    r = eer_with_interval(x, l, recs, boot=args.boot)
                    print(json.dumps({"source": source, "step": step, "pairs": pairing, **r}), flush=True)
                if source in CONDITIONS:
                    within.setdefault(step, []).append(r)
                data[(source, step)] = per
    if args.what == "loro":  # the rule without each recording, and the counts of the dumped episodes at its cut
        for leave in data[(CONDITIONS[0], STEP_S)]:
            cut = rule_cut([eer_with_interval(*pooled(data[(c, STEP_S)], (leave,)), boot=args.boot)
                            for c in CONDITIONS])
            counts = {p.stem: recluster(p, cut) for p in sorted(Path(args.dumps).glob("x*.npz"))}
            print(json.dumps({"without": leave, "cut": cut, "counts": counts}), flush=True)
    for step, intervals in within.items():
        print(f"rule at the {step:g} s step ({', '.join(CONDITIONS)}, within recordings): cut {rule_cut(intervals)}")


if __name__ == "__main__":
    main()
