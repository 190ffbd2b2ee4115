"""Benchmark of the separation engines that run without demucs weights: real-time factor and
peak memory on a composite episode (every eval recording over a music bed), as the separate
stage gets it (48 kHz stereo).

    python tests/bench/bench_separation.py [--repeats N]

repeats=1 is 115 s. Each engine runs in its own child process, so the peak RSS is its own.
RTF = wall seconds / audio seconds; CPU seconds are printed too (the machine may be shared).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ENGINES = ["deepfilternet", "passthrough"]


def build(work: Path, repeats: int) -> Path:
    import numpy as np
    import soundfile as sf

    from media.audio import resample
    from tests.composite import RATE, build_composite
    from tests.conftest import find_eval_data

    data = find_eval_data()
    if data is None:
        raise SystemExit("eval-data not found (set DUBSITE_EVAL_DATA)")
    ep = build_composite(data, work / "episode", repeats=repeats)
    mix = resample(sf.read(ep.mix, dtype="float32")[0], RATE, 48000)
    sf.write(work / "episode48.wav", np.stack([mix, mix], axis=1), 48000, subtype="FLOAT")
    return work / "episode48.wav"


def _reset_peak() -> None:
    """Linux keeps the peak RSS across exec, so a child would report its parent's (the episode
    it built); clear_refs 5 resets it to this process's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(engine: str, src: str, out: str) -> dict:
    from media.separation import registry

    _reset_peak()
    eng = registry().get(engine)
    ok, reason = eng.availability()
    if not ok:
        return {"skipped": reason}
    cpu_now = lambda: sum(os.times()[:4])  # noqa: E731  (self and waited children: ffmpeg counts too)
    t0, c0 = time.perf_counter(), cpu_now()
    result = eng.separate(src, out)
    wall, cpu = time.perf_counter() - t0, cpu_now() - c0
    peak_mb = _peak_mb()  # this process (ffmpeg runs beside it)
    return {"audio_s": result.duration, "wall_s": wall, "cpu_s": cpu, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=1, help="composite repeats (1 = 115 s)")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "SRC", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-sep-") as tmp:
        src = build(Path(tmp), args.repeats)
        print("| engine | audio s | wall s | RTF (wall) | CPU s | RTF (CPU) | peak RSS MB |")
        print("|---|---|---|---|---|---|---|")
        for engine in ENGINES:
            proc = subprocess.run([sys.executable, __file__, "--child", engine, str(src), str(Path(tmp) / engine)],
                                  capture_output=True, text=True, timeout=1800, check=True)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            if "skipped" in r:
                print(f"| {engine} | skipped: {r['skipped']} |")
                continue
            print(f"| {engine} | {r['audio_s']:.1f} | {r['wall_s']:.1f} | {r['wall_s'] / r['audio_s']:.3f} | "
                  f"{r['cpu_s']:.1f} | {r['cpu_s'] / r['audio_s']:.3f} | {r['peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
