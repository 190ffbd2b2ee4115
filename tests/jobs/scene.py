"""A fixture episode from real speech (../shared/eval-data) over a synthetic music bed."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from media.audio import resample
from media.demo import music_bed

RATE = 48000
JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
LEFT = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
RIGHT = "The horizon seems extremely distant."


@dataclass
class Scene:
    video: Path
    speech: Path  # the clean speech track (48 kHz mono), for VAD references
    duration: float
    texts: list[str]


def build_scene(eval_dir: Path, out_dir: Path, *, gap: float = 0.8, extra: tuple[str, ...] = ()) -> Scene:
    """jfk (one man) then the two speakers of stereo_diarization.wav, one after the other;
    `extra` appends whole mono recordings (e.g. "sample.wav", "trn07.wav") for longer scenes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pieces = []
    jfk, sr = sf.read(eval_dir / "jfk.flac", dtype="float32")
    pieces.append(resample(jfk.mean(axis=1) if jfk.ndim > 1 else jfk, sr, RATE))
    stereo, sr2 = sf.read(eval_dir / "stereo_diarization.wav", dtype="float32")
    for ch in (0, 1):
        channel = stereo[:, ch]
        voiced = np.flatnonzero(np.abs(channel) > 0.02)
        pieces.append(resample(channel[max(voiced[0] - sr2 // 10, 0): voiced[-1] + sr2 // 10], sr2, RATE))
    for name in extra:
        more, sr3 = sf.read(eval_dir / name, dtype="float32")
        pieces.append(resample(more.mean(axis=1) if more.ndim > 1 else more, sr3, RATE))
    silence = np.zeros(int(gap * RATE), dtype=np.float32)
    speech = np.concatenate([silence] + [np.concatenate([p / max(np.abs(p).max(), 1e-6) * 0.7, silence]) for p in pieces])
    duration = len(speech) / RATE
    mixdown = music_bed(duration) * 0.7 + speech[:, None]
    sf.write(out_dir / "speech.wav", speech, RATE)
    sf.write(out_dir / "scene.wav", mixdown, RATE)
    video = out_dir / "scene.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=320x240:rate=24:duration={duration:.3f}", "-i", str(out_dir / "scene.wav"),
                    "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "160k", "-shortest", str(video)], check=True, timeout=120)
    return Scene(video, out_dir / "speech.wav", duration, [JFK, LEFT, RIGHT])
