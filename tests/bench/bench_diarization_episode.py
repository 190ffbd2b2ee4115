"""Diarization at episode scale: speed, peak memory, speaker count and DER of composite episodes.

    python tests/bench/bench_diarization_episode.py [--repeats 1,3,12]

Each composite (tests/composite.py: every eval recording over a music bed, 9 people, 115 s per
repeat; 12 repeats = 23.6 min) is diarized in its own child process, so the peak RSS printed
(resource.getrusage maxrss) is that run's own. RTF = diarization wall seconds / audio seconds,
after a warm-up call on 5 s that loads the models (load time is printed apart). CPU seconds
are printed too, with the 1-minute load average at the end of the run: on a machine shared with
other jobs wall time says more about the neighbours.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def child(repeats: int, folder: str) -> dict:
    """Diarizes the composite the parent built (so building it is not in this process's peak)."""
    import resource
    import time

    from media import metrics
    from media.diarization import diarize, read_rttm
    from media.vad import load_mono_16k

    episode = Path(folder) / f"ep{repeats}"
    samples = load_mono_16k(episode / "mix.wav")
    reference = read_rttm(episode / "reference.rttm")["composite"]
    duration = len(samples) / 16000
    t0 = time.perf_counter()
    diarize(samples[: 5 * 16000], 16000)  # loads the models
    load = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    result = diarize(samples, 16000)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    score = metrics.der(reference, result.turns, collar=0.25)
    return {"repeats": repeats, "minutes": duration / 60, "engine": result.engine,
            "speakers": result.num_speakers, "truth": len({t.speaker for t in reference}), "der": score.der,
            "load_s": load, "wall_s": wall, "cpu_s": cpu, "rtf": wall / duration, "cpu_rtf": cpu / duration,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", default="12", help="comma-separated composite lengths (x 115 s)")
    parser.add_argument("--child", type=int)
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder)))
        return
    print("| episode | speakers (truth) | DER | RTF (wall) | CPU s / audio s | peak RSS | model load | load average |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        from tests.composite import build_composite
        from tests.conftest import find_eval_data

        for repeats in [int(r) for r in args.repeats.split(",")]:
            build_composite(find_eval_data(), Path(folder) / f"ep{repeats}", repeats=repeats)
            proc = subprocess.run([sys.executable, __file__, "--child", str(repeats), "--folder", folder],
                                  capture_output=True, text=True, timeout=3600, env={**os.environ, "HF_HUB_OFFLINE": "1"})
            if proc.returncode != 0:
                print(f"| x{repeats} | failed: {proc.stderr.strip().splitlines()[-1:]} |")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"| {r['minutes']:.1f} min (x{repeats}) | {r['speakers']} ({r['truth']}) | {r['der']:.3f} | "
                  f"{r['rtf']:.3f} | {r['cpu_rtf']:.3f} | {r['peak_mb']:.0f} MB | {r['load_s']:.1f} s | {r['load']:.1f} |",
                  flush=True)


if __name__ == "__main__":
    main()
