"""Benchmark of the analysis engines on real speech: real-time factor and peak memory.

    python tests/bench/bench_analysis.py [--repeat-clip N]

Builds a >= 60 s clip by concatenating eval-data recordings (sample + trn07 + trn08, 90 s),
then runs every stage in its own child process (so peak RSS is that stage's own) and prints
a markdown table. RTF = processing seconds / audio seconds, measured after a 2 s warm-up call
that loads the model (load time is reported separately).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

STAGES = [
    ("asr tiny.en (beam 5, words, VAD filter)", "asr:tiny.en"),
    ("asr tiny.en (words by word_timestamps=True)", "asr:tiny.en:whisper"),
    ("asr tiny.en (no word times)", "asr:tiny.en:plain"),
    ("asr base (beam 5, words, VAD filter)", "asr:base"),
    ("vad silero", "vad:silero"),
    ("vad energy", "vad:energy"),
    ("embedding ecapa (whole clip)", "embed:ecapa"),
    ("embedding campplus (whole clip)", "embed:campplus"),
    ("embedding resemblyzer (whole clip)", "embed:resemblyzer"),
    ("diarization pyannote (full pipeline)", "diar:pyannote"),
    ("diarization pyannote-offline", "diar:pyannote-offline"),
    ("diarization vad-clustering (fallback)", "diar:vad-clustering"),
]


def build_clip(out: Path, repeat: int = 1) -> float:
    import numpy as np
    import soundfile as sf

    from tests.conftest import find_eval_data

    data = find_eval_data()
    if data is None:
        raise SystemExit("eval-data not found (set DUBSITE_EVAL_DATA)")
    parts = [sf.read(data / f"{name}.wav", dtype="float32")[0] for name in ("sample", "trn07", "trn08")]
    clip = np.concatenate(parts * repeat)
    sf.write(out, clip, 16000)
    return len(clip) / 16000


def child(stage: str, clip: str) -> dict:
    """Runs in the child process: availability, warm-up (model load), timed run."""
    import numpy as np

    import media  # noqa: F401  (offline env)
    from media import asr, diarization, embeddings, vad
    from media.vad import load_mono_16k

    kind, name = stage.split(":", 1)
    samples = load_mono_16k(clip)
    warm = samples[: 2 * 16000]
    if kind == "asr":
        name, _, how = name.partition(":")  # default word times, or "whisper" / "plain" to compare
        options = {"whisper": {"word_times": "whisper"}, "plain": {"word_timestamps": False}}.get(how, {})
        ok, reason = asr.WhisperAsr(name).availability()
        run = lambda x: asr.transcribe(x, model=name, sample_rate=16000, **options)  # noqa: E731
        detail = lambda r: f"{len(r.segments)} segments, language {r.language}"  # noqa: E731
    elif kind == "vad":
        engine = vad.registry().get(name)
        ok, reason = engine.availability()
        run = lambda x: engine.detect(x, 16000)  # noqa: E731
        detail = lambda r: f"{vad.total(r):.1f} s speech"  # noqa: E731
    elif kind == "embed":
        engine = embeddings.registry().get(name)
        ok, reason = engine.availability()
        run = lambda x: engine.embed(x, 16000)  # noqa: E731
        detail = lambda r: f"{r.model_id}"  # noqa: E731
    else:
        engine = diarization.registry().get(name)
        ok, reason = engine.availability()
        run = lambda x: diarization.diarize(x, 16000, engine=name)  # noqa: E731
        detail = lambda r: f"{r.num_speakers} speakers, {len(r.turns)} turns"  # noqa: E731
    if not ok:
        return {"skipped": reason}
    t0 = time.perf_counter()
    run(np.ascontiguousarray(warm) if kind != "diar" else np.ascontiguousarray(samples[: 12 * 16000]))
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = run(samples)
    seconds = time.perf_counter() - t0
    return {"load": load, "seconds": seconds, "detail": detail(result)}


def measure(stage: str, clip: str) -> tuple[dict, float]:
    proc = subprocess.Popen([sys.executable, __file__, "--child", stage, "--clip", clip], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=str(ROOT))
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = usage.ru_maxrss / 1024  # Linux reports KiB
    try:
        return json.loads(out.decode().strip().splitlines()[-1]), peak_mb
    except (IndexError, ValueError):
        return {"skipped": f"child failed (exit {proc.returncode})"}, peak_mb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--clip", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--repeat-clip", type=int, default=1, help="concatenate the 90 s clip N times")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.clip)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        clip = Path(tmp) / "clip.wav"
        duration = build_clip(clip, args.repeat_clip)
        print(f"clip: {duration:.1f} s (sample + trn07 + trn08), {os.cpu_count()} CPU cores\n")
        print("| stage | RTF | seconds | load + warm-up s | peak RSS MB | result |")
        print("| --- | --- | --- | --- | --- | --- |")
        for label, stage in STAGES:
            row, peak = measure(stage, str(clip))
            if "skipped" in row:
                print(f"| {label} | — | — | — | — | skipped: {row['skipped']} |", flush=True)
                continue
            print(f"| {label} | {row['seconds'] / duration:.3f} | {row['seconds']:.1f} | {row['load']:.1f} | "
                  f"{peak:.0f} | {row['detail']} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
