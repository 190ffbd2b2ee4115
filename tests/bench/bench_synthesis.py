"""Benchmark of the synthesis side on a 60 s clip: real-time factor and peak RSS per stage.

    .venv/bin/python tests/bench/bench_synthesis.py [--seconds 60]

Each stage runs in its own Python process so its peak RSS is its own. RTF = processing time
/ audio duration (lower is faster; 0.1 = ten times faster than real time). Model loading is
reported apart from RTF. The tiny demucs row uses random weights: it shows the cost of the
chunked in-process plumbing, not of real htdemucs (whose network is ~80x larger).
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

TEXT = [
    "The weather is lovely today, so we will walk down to the old harbour.",
    "Please bring the blue folder to the meeting at nine o'clock tomorrow.",
    "She found a small black cat sleeping under the kitchen table.",
    "Nobody expected the train to arrive so early on a Sunday morning.",
    "If you listen carefully, you can hear the sea from the top of the hill.",
    "We should have asked the captain before we opened the last crate.",
]

STAGES = ["piper", "espeak", "timing", "separation-fallback", "separation-tiny-demucs", "mix", "mux"]


def peak_rss_mb() -> float:
    # VmHWM is this process image's own peak; ru_maxrss would carry the parent's over exec()
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def sentences_for(seconds: float) -> list[str]:
    # about 4 s per sentence with the voices here
    return [TEXT[i % len(TEXT)] for i in range(int(seconds / 4.0) + 1)]


def stage_tts(engine: str, seconds: float, work: Path) -> dict:
    from media.tts import TtsRequest, VoiceSpec, character_voice, synthesize

    voice = VoiceSpec("piper", "en_US-joe-medium") if engine == "piper" else character_voice("BENCH", "f")
    t0 = time.perf_counter()
    synthesize(TtsRequest("Warm up.", "en", voice=voice))  # first call loads the model
    load = time.perf_counter() - t0
    audio, spent = 0.0, 0.0
    for sentence in sentences_for(seconds * 2):
        t0 = time.perf_counter()
        result = synthesize(TtsRequest(sentence, "en", voice=voice))
        spent += time.perf_counter() - t0
        assert result.provider == engine, result.fallback_reasons
        audio += result.duration
        if audio >= seconds:
            break
    return {"audio_s": audio, "time_s": spent, "load_s": load}


def stage_timing(seconds: float, work: Path) -> dict:
    from media.audio import load
    from media.timing import fit_clip

    speech = load(work / "speech.wav", mono=True)
    t0 = time.perf_counter()
    fit_clip(speech.samples, speech.sample_rate, slot_seconds=speech.duration / 1.25)
    return {"audio_s": speech.duration, "time_s": time.perf_counter() - t0}


def stage_separation(engine: str, seconds: float, work: Path) -> dict:
    from media.separation import DemucsEngine, FallbackEngine

    load = 0.0
    if engine == "demucs":
        sys.path.insert(0, str(ROOT / "tests" / "media"))
        from test_separation import save_tiny_demucs

        models = work / "models"
        save_tiny_demucs(models / "demucs")
        os.environ["MODELS_DIR"] = str(models)
        eng = DemucsEngine()
        t0 = time.perf_counter()
        eng.load()
        load = time.perf_counter() - t0
    else:
        eng = FallbackEngine()
    t0 = time.perf_counter()
    result = eng.separate(work / "episode.wav", work / f"stems-{engine}")
    return {"audio_s": result.duration, "time_s": time.perf_counter() - t0, "load_s": load}


def stage_mix(seconds: float, work: Path) -> dict:
    from media.audio import duration
    from media.mix import mix, place_clips

    t0 = time.perf_counter()
    clips = [(float(t), work / "line.wav") for t in range(0, int(seconds) - 4, 5)]
    place_clips(clips, seconds, work / "dialogue.wav")
    result = mix(work / "dialogue.wav", work / "bed.wav", work / "mix.wav")
    spent = time.perf_counter() - t0
    return {"audio_s": duration(work / "mix.wav"), "time_s": spent,
            "note": f"{result.integrated_lufs:.1f} LUFS, {result.true_peak_dbtp:.1f} dBTP, {result.passes} pass(es)"}


def stage_mux(seconds: float, work: Path) -> dict:
    from media.mux import SubtitleTrack, mux
    from media.subtitles import write_srt

    write_srt([(1.0, 3.0, "Hello"), (5.0, 7.0, "World")], work / "subs.srt")
    t0 = time.perf_counter()
    for suffix in (".mkv", ".mp4"):
        mux(work / f"dub{suffix}", source=work / "episode.mp4", dub_audio=work / "bed.wav", dub_language="de",
            original_language="en", subtitles=[SubtitleTrack(work / "subs.srt", "de")])
    return {"audio_s": seconds * 2, "time_s": time.perf_counter() - t0, "note": "MKV + MP4, AAC encode of the dub"}


def run_stage(name: str, seconds: float, work: Path) -> dict:
    if name in ("piper", "espeak"):
        out = stage_tts(name, seconds, work)
    elif name == "timing":
        out = stage_timing(seconds, work)
    elif name == "separation-fallback":
        out = stage_separation("passthrough", seconds, work)
    elif name == "separation-tiny-demucs":
        out = stage_separation("demucs", seconds, work)
    elif name == "mix":
        out = stage_mix(seconds, work)
    elif name == "mux":
        out = stage_mux(seconds, work)
    else:
        raise SystemExit(f"unknown stage {name}")
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def prepare(seconds: float, work: Path) -> None:
    """Inputs: Piper speech (line + 60 s), a music-like bed, and a video with that mix."""
    import numpy as np
    import soundfile as sf

    from media.tts import TtsRequest, synthesize

    line = synthesize(TtsRequest(TEXT[0], "en"))
    line.save(work / "line.wav")
    parts, total = [], 0.0
    while total < seconds:
        r = synthesize(TtsRequest(TEXT[len(parts) % len(TEXT)], "en"))
        parts.append(r.samples)
        total += r.duration
    speech = np.concatenate(parts)[: int(seconds * line.sample_rate)]
    sf.write(work / "speech.wav", speech, line.sample_rate)
    sr = 48000
    t = np.arange(int(seconds * sr)) / sr
    chords = sum(np.sin(2 * np.pi * f * t) for f in (110, 165, 220, 330)) * 0.05 * (1 + 0.5 * np.sin(2 * np.pi * 0.25 * t))
    bed = np.stack([chords, np.roll(chords, 480)], 1).astype(np.float32)
    sf.write(work / "bed.wav", bed, sr)
    from media.audio import resample

    voice = resample(speech, line.sample_rate, sr)
    voice = np.pad(voice, (0, len(t) - len(voice)))
    sf.write(work / "episode.wav", bed + 0.5 * voice[:, None], sr)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size=640x360:rate=25:duration={seconds}", "-i", str(work / "episode.wav"),
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(work / "episode.mp4")], check=True, timeout=600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)  # child mode
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.seconds, Path(args.work))))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-synthesis-") as tmp:
        work = Path(tmp)
        prepare(args.seconds, work)
        rows = []
        for stage in STAGES:
            env = dict(os.environ, MODELS_DIR=str(work / "no-models"))
            proc = subprocess.run([sys.executable, __file__, "--stage", stage, "--seconds", str(args.seconds),
                                   "--work", str(work)], capture_output=True, text=True, env=env, timeout=1800)
            if proc.returncode != 0:
                rows.append((stage, None, proc.stderr.strip().splitlines()[-1:]))
                continue
            rows.append((stage, json.loads(proc.stdout.strip().splitlines()[-1]), None))
    print(f"\nSynthesis-side benchmark, {args.seconds:.0f} s clip, {os.cpu_count()} CPU cores\n")
    print("| stage | audio s | time s | RTF | model load s | peak RSS MB | note |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for stage, out, err in rows:
        if out is None:
            print(f"| {stage} | | | failed | | | {err} |")
            continue
        label = stage + (" (random weights, orientation only)" if "tiny" in stage else "")
        print(f"| {label} | {out['audio_s']:.1f} | {out['time_s']:.2f} | {out['time_s'] / out['audio_s']:.3f} | "
              f"{out.get('load_s', 0.0):.2f} | {out['peak_rss_mb']:.0f} | {out.get('note', '')} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
