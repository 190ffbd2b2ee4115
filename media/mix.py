"""The dub mix: dialogue over the background stem, bed ducked under dialogue, loudness
normalised to a target (default -23 LUFS, EBU R128) with a -1 dBTP true-peak ceiling.

Also builds the dub dialogue track from per-line clips placed on the episode timeline.
All heavy lifting streams through ffmpeg or block-wise numpy, so episode length does not
decide memory use.
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence, Union

import numpy as np
import soundfile as sf

from . import ffmpeg
from .audio import load, resample, to_mono
from .errors import InvalidMediaError, MediaError
from .loudness import Loudness, measure, meter, parse_summary

__all__ = ["MixResult", "PlaceResult", "mix", "place_clips", "KEY_LUFS"]

KEY_LUFS = -20.0  # the sidechain key is levelled to this, so ducking depth ignores dialogue level
KEY_THRESHOLD = 0.003  # about -50 dBFS: the levelled key is well over it whenever a line plays
TP_MARGIN_DB = 0.3  # the limiter aims this far under the ceiling; the meter confirms
MAX_PASSES = 4


@dataclass
class MixResult:
    path: Path
    integrated_lufs: float
    true_peak_dbtp: float
    target_lufs: float
    true_peak_limit_dbtp: float
    gain_db: float
    duck_db: float
    duration: float
    sample_rate: int
    passes: int
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        def r(v):
            if isinstance(v, float):
                return round(v, 2) if math.isfinite(v) else None
            return v

        return {k: (str(v) if isinstance(v, Path) else r(v)) for k, v in self.__dict__.items()}


def _fmt(rate: int, channels: int) -> str:
    # mono is copied to both sides at full level (the default upmix puts it 3 dB lower in each)
    up = "pan=stereo|c0=c0|c1=c0," if channels == 1 else ""
    return f"{up}aformat=sample_fmts=flt:sample_rates={rate}:channel_layouts=stereo"


def _channels(path: Path) -> int:
    return ffmpeg.probe(path).audio[0].channels or 2


def _db_to_lin(db: float) -> float:
    return 10.0 ** (db / 20.0)


def mix(
    dialogue: str | Path,
    background: str | Path | None,
    out: str | Path,
    *,
    target_lufs: float = -23.0,
    true_peak_dbtp: float = -1.0,
    duck_db: float = -10.0,
    attack_ms: float = 30.0,
    release_ms: float = 400.0,
    dialogue_gain_db: float = 0.0,
    background_gain_db: float = 0.0,
    sample_rate: int = 48000,
    timeout: float | None = None,
) -> MixResult:
    """Mix dialogue over background (None: dialogue alone) into a stereo 24-bit WAV at `out`.

    The bed is lowered by up to `duck_db` while dialogue plays (sidechain compressor keyed by
    the dialogue, `attack_ms`/`release_ms`), then the whole mix is gained to `target_lufs` and
    limited (4x oversampled) under `true_peak_dbtp`; both are measured on the written file.
    """
    dialogue, out = Path(dialogue), Path(out)
    for path in (dialogue, background):
        if path is not None:
            ffmpeg.require_audio(ffmpeg.probe(path))
    if duck_db > 0:
        raise MediaError(f"duck_db must be <= 0 (a cut), got {duck_db}")
    notes: list[str] = []
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mix-", dir=out.parent) as tmp:
        premix = Path(tmp) / "premix.wav"
        key = measure(dialogue, true_peak=False)  # only its loudness levels the key
        if key.silent:
            notes.append("dialogue is silent: nothing to duck under")
        level = _premix(dialogue, background, premix, key, duck_db=duck_db, attack_ms=attack_ms,
                        release_ms=release_ms, dialogue_gain_db=dialogue_gain_db,
                        background_gain_db=background_gain_db, sample_rate=sample_rate, timeout=timeout)
        if level.silent:
            notes.append("mix is silent: loudness target cannot be reached")
            gain = 0.0
        else:
            gain = target_lufs - level.integrated_lufs
        ceiling = true_peak_dbtp - TP_MARGIN_DB
        result: Loudness | None = None
        passes = 0
        tmp_out = Path(tmp) / "final.wav"  # same disk as out: the final replace is atomic
        for passes in range(1, MAX_PASSES + 1):
            result = _finalize(premix, tmp_out, gain, ceiling, sample_rate, timeout)
            if level.silent:
                break
            over = result.true_peak_dbtp - true_peak_dbtp
            short = target_lufs - result.integrated_lufs
            if over <= 0 and short <= 0.5:
                break
            if over > 0:
                ceiling -= over + 0.1  # overshoot from resampling back down: aim lower
            if short > 0.5:
                gain += short  # the limiter ate loudness: push harder into it
        over = result.true_peak_dbtp - true_peak_dbtp
        if over > 0:
            # still over after the passes: a plain gain cut lowers true peak by exactly as much
            trimmed = Path(tmp) / "trimmed.wav"
            ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(tmp_out), "-af",
                        f"volume={-(over + 0.05):.3f}dB", "-c:a", "pcm_s24le", "-f", "wav", str(trimmed)],
                       timeout=timeout, what="ffmpeg trim")
            trimmed.replace(tmp_out)
            gain -= over + 0.05
            result = measure(tmp_out)
        tmp_out.replace(out)
    assert result is not None
    if not level.silent and abs(result.integrated_lufs - target_lufs) > 1.0:
        notes.append(f"loudness {result.integrated_lufs:.1f} LUFS misses target {target_lufs:.1f} "
                     f"(peaky material limited under {true_peak_dbtp:.1f} dBTP)")
    return MixResult(out, result.integrated_lufs, result.true_peak_dbtp, target_lufs, true_peak_dbtp, gain, duck_db,
                     sf.info(str(out)).duration, sample_rate, passes, notes)


def _premix(dialogue: Path, background: Path | None, dst: Path, key: Loudness, *, duck_db: float, attack_ms: float,
            release_ms: float, dialogue_gain_db: float, background_gain_db: float, sample_rate: int,
            timeout: float | None) -> None:
    fmt = _fmt(sample_rate, _channels(dialogue))
    if background is None:
        graph = f"[0:a:0]{fmt},volume={dialogue_gain_db}dB[out]"
        inputs = ["-i", str(dialogue)]
    else:
        # the key is levelled so that any line, loud or soft, ducks the bed by the same depth
        boost = 0.0 if key.silent else KEY_LUFS - key.integrated_lufs
        level_sc = min(max(_db_to_lin(boost), 1 / 64), 64.0)
        # dry/wet mix bounds the cut: out = (1 - mix) + mix * w, where w is what the hard 20:1
        # compressor leaves of the bed when the levelled key sits 30 dB over its threshold
        w = _db_to_lin(-(KEY_LUFS - 20 * math.log10(KEY_THRESHOLD)) * (1 - 1 / 20))
        wet = min((1.0 - _db_to_lin(duck_db)) / (1.0 - w), 1.0)
        graph = (
            f"[0:a:0]{fmt},volume={dialogue_gain_db}dB,asplit=2[dlg][key0];"
            "[key0]apad[key];"
            f"[1:a:0]{_fmt(sample_rate, _channels(background))},volume={background_gain_db}dB[bed];"
            f"[bed][key]sidechaincompress=threshold={KEY_THRESHOLD}:ratio=20:attack={attack_ms}:release={release_ms}"
            f":level_sc={level_sc:.4f}:mix={wet:.4f}:knee=2:detection=rms:link=maximum[ducked];"
            "[ducked][dlg]amix=inputs=2:normalize=0:duration=longest[out]"
        )
        inputs = ["-i", str(dialogue), "-i", str(background)]
    return _write_measured(inputs, graph, ["-c:a", "pcm_f32le", "-f", "wav", str(dst)], timeout=timeout,
                           what="ffmpeg mix", true_peak=False)


def _write_measured(inputs: list[str], graph: str, output: list[str], *, timeout: float | None, what: str,
                    true_peak: bool) -> Loudness:
    """Run `graph` (ending in [out]) into `output` and meter the same stream on the way: one decode
    and one filter run instead of writing the file and reading it back to measure it."""
    graph += f";[out]asplit=2[write][m];[m]{meter(true_peak=true_peak)}[metered]"
    proc = ffmpeg.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-y", *inputs,
                       "-filter_complex", graph, "-map", "[write]", *output, "-map", "[metered]", "-f", "null", "-"],
                      timeout=timeout, what=what)
    return parse_summary(proc.stderr.decode("utf-8", "replace"))


def _finalize(src: Path, dst: Path, gain_db: float, ceiling_db: float, sample_rate: int,
              timeout: float | None) -> Loudness:
    limit = min(max(_db_to_lin(ceiling_db), 0.0625), 1.0)
    # limiting at 4x the rate catches the peaks between samples that a true-peak meter sees;
    # latency=1 removes the limiter's look-ahead delay so the mix stays in sync with picture
    graph = (f"[0:a:0]volume={gain_db:.3f}dB,aresample={sample_rate * 4},"
             f"alimiter=limit={limit:.5f}:attack=1:release=60:level=0:latency=1,aresample={sample_rate}[out]")
    # metered before the 24-bit quantization of the file: a difference far under the meter's 0.1 dB
    return _write_measured(["-i", str(src)], graph, ["-ar", str(sample_rate), "-c:a", "pcm_s24le", "-f", "wav",
                                                      str(dst)], timeout=timeout, what="ffmpeg loudness",
                           true_peak=True)


# --- dialogue track from per-line clips --------------------------------------------------

ClipSource = Union[str, Path, np.ndarray]


@dataclass
class PlaceResult:
    path: Path
    duration: float
    sample_rate: int
    placed: int
    overlaps: list[tuple[int, int, float]] = field(default_factory=list)  # (clip i, clip j, seconds)
    truncated: list[tuple[int, float]] = field(default_factory=list)  # (clip, seconds cut at an edge)

    def as_dict(self) -> dict:
        return {"path": str(self.path), "duration": round(self.duration, 3), "sample_rate": self.sample_rate,
                "placed": self.placed, "overlaps": [list(o) for o in self.overlaps],
                "truncated": [list(t) for t in self.truncated]}


def _load_clip(src: ClipSource, rate: int | None, sample_rate: int, index: int) -> np.ndarray:
    if isinstance(src, np.ndarray):
        if not rate:
            raise MediaError(f"clip {index}: an array needs its sample rate: (start, array, rate)")
        data = to_mono(np.asarray(src, dtype=np.float32))
        return resample(data, int(rate), sample_rate)
    try:
        return load(src, mono=True, sample_rate=sample_rate).samples
    except InvalidMediaError as exc:
        raise InvalidMediaError(f"clip {index}: {exc}") from exc


def place_clips(
    clips: Sequence[tuple],
    duration: float,
    out: str | Path,
    *,
    sample_rate: int = 48000,
    block_seconds: float = 30.0,
) -> PlaceResult:
    """Lay clips on a silent mono track of `duration` seconds and write it (float WAV).

    `clips` holds (start_seconds, wav_path) or (start_seconds, samples, sample_rate). Clips
    that overlap are summed and reported; parts outside [0, duration) are cut and reported.
    Written block by block: memory is one block plus the clips sounding in it.
    """
    if duration <= 0:
        raise MediaError(f"dialogue track duration must be positive, got {duration}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    total = int(round(duration * sample_rate))
    order = sorted(range(len(clips)), key=lambda i: float(clips[i][0]))
    block = max(int(block_seconds * sample_rate), 1)
    result = PlaceResult(out, total / sample_rate, sample_rate, 0)
    active: list[tuple[int, int, np.ndarray]] = []  # (clip index, start sample, samples)
    last_end: tuple[int, int] | None = None  # (clip index, end sample) of the latest-ending clip
    nxt = 0
    tmp = out.with_name(out.stem + ".part.wav")
    with sf.SoundFile(str(tmp), "w", sample_rate, 1, "FLOAT", format="WAV") as fh:
        for b0 in range(0, total, block):
            b1 = min(b0 + block, total)
            while nxt < len(order) and int(round(float(clips[order[nxt]][0]) * sample_rate)) < b1:
                i = order[nxt]
                nxt += 1
                item = clips[i]
                data = _load_clip(item[1], item[2] if len(item) > 2 else None, sample_rate, i)
                start = int(round(float(item[0]) * sample_rate))
                end = start + len(data)
                if last_end is not None and start < last_end[1]:
                    result.overlaps.append((last_end[0], i, round((min(end, last_end[1]) - start) / sample_rate, 3)))
                if last_end is None or end > last_end[1]:
                    last_end = (i, end)
                cut = max(0, -start) + max(0, end - total)
                if cut:
                    result.truncated.append((i, round(cut / sample_rate, 3)))
                active.append((i, start, data))
                result.placed += 1
            buf = np.zeros(b1 - b0, dtype=np.float32)
            for _, start, data in active:
                lo, hi = max(start, b0), min(start + len(data), b1)
                if lo < hi:
                    buf[lo - b0:hi - b0] += data[lo - start:hi - start]
            fh.write(buf)
            active = [a for a in active if a[1] + len(a[2]) > b1]
    for i in order[nxt:]:  # clips starting at or after the end of the track
        result.truncated.append((i, round(len(_load_clip(clips[i][1], clips[i][2] if len(clips[i]) > 2 else None,
                                                         sample_rate, i)) / sample_rate, 3)))
    tmp.replace(out)
    return result
