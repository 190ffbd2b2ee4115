"""Composite episodes: every eval recording once (or `repeats` times), one after the other, over a
music bed, with the ground truth an episode-scale check needs: who speaks when (RTTM turns), the
clean speech and the bed as separate stems (separation metrics), and the texts that are known.

    from tests.composite import build_composite
    ep = build_composite(eval_dir, tmp / "ep", repeats=1)   # 115 s, 9 distinct people
    ep.turns   # [(start, end, speaker)], speaker labels stable across repeats (same person = same label)

People: jfk (1), stereo_diarization (2, one per channel), sample.wav (2), trn07 + trn08 (the same
4 AMI speakers in both excerpts). Turns of jfk and the stereo channels come from an energy gate on
their isolated recordings; the others from their reference RTTM, shifted to where they land.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from media.audio import resample
from media.demo import music_bed

RATE = 16000
JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
LEFT = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
RIGHT = "The horizon seems extremely distant."


@dataclass
class Composite:
    mix: Path          # speech + bed, mono float WAV at RATE
    speech: Path       # the clean speech stem (what a perfect separator's dialogue would be)
    bed: Path          # the music stem
    duration: float
    turns: list[tuple[float, float, str]]
    texts: list[tuple[float, float, str]] = field(default_factory=list)  # (start, end, words) where known
    video: Path | None = None

    @property
    def speakers(self) -> set[str]:
        return {s for _, _, s in self.turns}

    def rttm(self, uri: str = "composite") -> str:
        return "".join(f"SPEAKER {uri} 1 {s:.3f} {e - s:.3f} <NA> <NA> {who} <NA> <NA>\n" for s, e, who in self.turns)


def _mono(path: Path) -> np.ndarray:
    audio, sr = sf.read(path, dtype="float32", always_2d=True)
    return resample(audio.mean(axis=1), sr, RATE)


def _read_rttm(path: Path, uri: str) -> list[tuple[float, float, str]]:
    turns = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER" and parts[1] == uri:
            start, dur = float(parts[3]), float(parts[4])
            turns.append((start, start + dur, parts[7]))
    return turns


def _gated_turns(audio: np.ndarray, who: str, *, threshold: float = 0.02, bridge: float = 0.5) -> list[tuple[float, float, str]]:
    """Voiced spans of an isolated recording (10 ms frames over `threshold` peak), pauses under
    `bridge` seconds joined: one speaker alone, so this is its reference."""
    hop = RATE // 100
    frames = np.abs(audio[: len(audio) // hop * hop]).reshape(-1, hop).max(axis=1) > threshold
    spans: list[list[float]] = []
    for i in np.flatnonzero(frames):
        t = i / 100
        if spans and t - spans[-1][1] <= bridge:
            spans[-1][1] = t + 0.01
        else:
            spans.append([t, t + 0.01])
    return [(s, e, who) for s, e in spans if e - s >= 0.1]


def _pieces(eval_dir: Path):
    """(audio, turns relative to the piece, texts relative to the piece) per recording, in episode order."""
    jfk = _mono(eval_dir / "jfk.flac")
    yield jfk, _gated_turns(jfk, "jfk"), [(0.0, len(jfk) / RATE, JFK)]
    stereo, sr = sf.read(eval_dir / "stereo_diarization.wav", dtype="float32")
    for ch, who, text in ((0, "stereo_left", LEFT), (1, "stereo_right", RIGHT)):
        channel = resample(stereo[:, ch], sr, RATE)
        voiced = np.flatnonzero(np.abs(channel) > 0.02)
        channel = channel[max(voiced[0] - RATE // 10, 0): voiced[-1] + RATE // 10]
        yield channel, _gated_turns(channel, who), [(0.0, len(channel) / RATE, text)]
    yield _mono(eval_dir / "sample.wav"), _read_rttm(eval_dir / "sample.rttm", "sample"), []
    for name in ("trn07", "trn08"):
        yield _mono(eval_dir / f"{name}.wav"), _read_rttm(eval_dir / "trn07_trn08.rttm", name), []


def percussion(seconds: float, rate: int = RATE, seed: int = 0) -> np.ndarray:
    """A drum loop at 120 bpm (kick and snare on the beats, a hi-hat between them), mono: the
    transients a film's music and effects have and the demo bed's sustained chords lack."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n)
    t = np.arange(int(0.3 * rate)) / rate
    kick = np.sin(2 * np.pi * (50 + 80 * np.exp(-t / 0.03)) * t) * np.exp(-t / 0.12)
    snare = 0.6 * rng.standard_normal(len(t)) * np.exp(-t / 0.08)
    hat = 0.3 * np.diff(rng.standard_normal(len(t) // 6), prepend=0.0) * np.exp(-t[: len(t) // 6] / 0.02)
    for beat in range(int(seconds * 2) + 1):
        for at, hit in ((beat / 2, kick if beat % 2 == 0 else snare), (beat / 2 + 0.25, hat)):
            i = int(at * rate)
            m = min(len(hit), n - i)
            if m > 0:
                out[i:i + m] += hit[:m]
    return out.astype(np.float32)


def build_composite(eval_dir: Path, out_dir: Path, *, repeats: int = 1, gap: float = 1.0,
                    bed_db: float = -6.0, video: bool = False) -> Composite:
    """Each recording peak-normalised to 0.5, `gap` seconds apart, the whole list `repeats` times;
    the bed sits `bed_db` under the speech's RMS. `video` also muxes an MP4 for the pipeline."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pieces = list(_pieces(eval_dir)) * repeats
    silence = np.zeros(int(gap * RATE), dtype=np.float32)
    chunks, turns, texts, at = [silence], [], [], gap
    for audio, piece_turns, piece_texts in pieces:
        audio = audio / max(float(np.abs(audio).max()), 1e-6) * 0.5
        turns += [(at + s, at + e, who) for s, e, who in piece_turns]
        texts += [(at + s, at + e, words) for s, e, words in piece_texts]
        chunks += [audio.astype(np.float32), silence]
        at += len(audio) / RATE + gap
    speech = np.concatenate(chunks)
    duration = len(speech) / RATE
    bed = music_bed(duration, RATE).mean(axis=1)[: len(speech)]
    voiced = np.concatenate([a for a, _, _ in pieces])
    speech_rms = float(np.sqrt(np.mean(voiced**2)))
    bed *= speech_rms * 10 ** (bed_db / 20) / max(float(np.sqrt(np.mean(bed**2))), 1e-9)
    mix = speech + bed
    paths = {name: out_dir / f"{name}.wav" for name in ("mix", "speech", "bed")}
    for name, audio in (("mix", mix), ("speech", speech), ("bed", bed)):
        sf.write(paths[name], audio.astype(np.float32), RATE, subtype="FLOAT")
    composite = Composite(paths["mix"], paths["speech"], paths["bed"], duration, sorted(turns), texts)
    (out_dir / "reference.rttm").write_text(composite.rttm())
    if video:
        composite.video = out_dir / "episode.mp4"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"color=c=gray:size=160x120:rate=12:duration={duration:.3f}", "-i", str(paths["mix"]),
                        "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                        "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-shortest", str(composite.video)],
                       check=True, timeout=300)
    return composite
