"""A short demo episode built only from what the repo and its packages hold: a two-character
scene spoken by two distinct bundled voices (Piper's joe voice and an espeak-ng female
voice) over a synthetic music bed, as an MP4. Used by `manage.py demo` and by tests."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import ffmpeg
from .audio import resample, save
from .tts import TtsRequest, VoiceSpec, character_voice, synthesize

__all__ = ["SCRIPT", "SCRIPT_2", "DemoLine", "DemoScene", "music_bed", "duck_envelope", "build_demo_episode"]

SCRIPT = [
    ("A", "Did you hear that noise outside the station last night?"),
    ("B", "I did. It sounded like the old train was running again."),
    ("A", "That train has not moved in twenty years."),
    ("B", "Then somebody must have found the key to the engine room."),
    ("A", "We should go and look before the storm comes in."),
    ("B", "Bring the lantern. I will meet you at the gate."),
]
# Episode 2: the same two characters (same voices), other words: voice memory should
# recognise both and give them back their characters and voices.
SCRIPT_2 = [
    ("B", "The gate was open when I got here, and the lantern was already lit."),
    ("A", "Then somebody knew we were coming tonight."),
    ("B", "Look at the tracks. They lead straight into the engine room."),
    ("A", "Stay close to me and keep your voice down."),
    ("B", "I can hear the engine. It is warming up."),
]
RATE = 48000
GAP = 0.6


@dataclass
class DemoLine:
    speaker: str
    text: str
    start: float
    end: float
    provider: str


@dataclass
class DemoScene:
    path: Path
    duration: float
    lines: list[DemoLine]


def voices() -> dict[str, VoiceSpec]:
    return {"A": VoiceSpec(engine="piper", voice_id="en_US-joe-medium", gender="m", label="joe"),
            "B": character_voice("DEMO_B", "f", index=0)}


def music_bed(seconds: float, rate: int = RATE) -> np.ndarray:
    """Soft chords (Am F C G, two seconds each) with a slow swell: stereo float32 at about -24 dBFS."""
    t = np.arange(int(seconds * rate)) / rate
    chords = [(220.0, 261.63, 329.63), (174.61, 220.0, 261.63), (130.81, 164.81, 196.0), (196.0, 246.94, 293.66)]
    bed = np.zeros_like(t)
    for i, chord in enumerate(chords * int(np.ceil(seconds / 8.0))):
        lo, hi = i * 2.0, (i + 1) * 2.0
        mask = (t >= lo) & (t < hi)
        seg = t[mask] - lo
        env = np.minimum(1.0, seg / 0.3) * np.minimum(1.0, (2.0 - seg) / 0.3)
        for f in chord:
            bed[mask] += env * (np.sin(2 * np.pi * f * t[mask]) + 0.3 * np.sin(4 * np.pi * f * t[mask]))
    bed *= 0.06 / max(np.sqrt(np.mean(bed**2)), 1e-9)
    left = bed * (1 + 0.1 * np.sin(2 * np.pi * 0.1 * t))
    right = bed * (1 - 0.1 * np.sin(2 * np.pi * 0.1 * t))
    return np.stack([left, right], axis=1).astype(np.float32)


def duck_envelope(seconds: float, spans: list[tuple[float, float]], *, depth_db: float = -8.0,
                  ramp: float = 0.25, rate: int = RATE) -> np.ndarray:
    """Gain of the music under dialogue, as a mixer rides it: `depth_db` under each line, with
    ramps, so the voice sits about 10 dB over the bed (the level of a broadcast mix)."""
    t = np.arange(int(seconds * rate)) / rate
    under = np.zeros_like(t)
    for start, end in spans:
        rise = np.clip((t - (start - ramp)) / ramp, 0.0, 1.0)
        fall = np.clip(((end + ramp) - t) / ramp, 0.0, 1.0)
        under = np.maximum(under, np.minimum(rise, fall))
    return (10 ** (depth_db * under / 20)).astype(np.float32)


def build_demo_episode(out: str | Path, *, script=SCRIPT, lead_in: float = 1.0) -> DemoScene:
    """Synthesize the script, lay it over the bed, and mux a small test-pattern video around it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cast = voices()
    clips, lines, cursor = [], [], lead_in
    for speaker, text in script:
        result = synthesize(TtsRequest(text, "en", voice=cast[speaker]))
        samples = resample(result.samples, result.sample_rate, RATE)
        clips.append((cursor, samples))
        lines.append(DemoLine(speaker, text, round(cursor, 3), round(cursor + len(samples) / RATE, 3), result.provider))
        cursor += len(samples) / RATE + GAP
    duration = cursor + lead_in
    mixdown = music_bed(duration) * duck_envelope(duration, [(line.start, line.end) for line in lines])[:, None]
    for start, samples in clips:
        i = int(start * RATE)
        mixdown[i:i + len(samples)] += 0.8 * samples[:, None]
    wav = out.with_suffix(".audio.wav")
    save(wav, mixdown, RATE)
    try:
        ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=24:duration={duration:.3f}",
                    "-i", str(wav), "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "160k", "-shortest",
                    "-metadata", "title=dubsite demo scene", str(out)],
                   timeout=300, what="ffmpeg demo video")
    finally:
        wav.unlink(missing_ok=True)
    return DemoScene(out, ffmpeg.probe(out).duration, lines)
