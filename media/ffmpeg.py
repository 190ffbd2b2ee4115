"""ffmpeg/ffprobe: probe, extract analysis and mix audio, cut. Argument lists and timeouts only."""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .config import ffmpeg_timeout
from .errors import EngineUnavailable, InvalidMediaError, MediaError

__all__ = ["Stream", "Probe", "probe", "extract_audio", "extract_analysis", "extract_mix", "cut", "run", "availability"]


def availability() -> tuple[bool, str]:
    missing = [b for b in ("ffmpeg", "ffprobe") if shutil.which(b) is None]
    if missing:
        return False, f"{' and '.join(missing)} not on PATH (apt-get install ffmpeg)"
    return True, "ok"


def run(args: list[str], *, timeout: float | None = None, what: str = "ffmpeg") -> subprocess.CompletedProcess:
    """Run a binary with an argument list; turn failures into one-line MediaErrors."""
    ok, reason = availability()
    if not ok:
        raise EngineUnavailable(reason)
    try:
        proc = subprocess.run(args, capture_output=True, timeout=timeout or ffmpeg_timeout(), check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"{what} timed out after {exc.timeout:.0f} s") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        last = tail[-1] if tail else f"exit code {proc.returncode}"
        raise MediaError(f"{what} failed: {_file_names_only(last, args)}")
    return proc


def _file_names_only(line: str, args: list[str]) -> str:
    """ffmpeg names its inputs and outputs by the paths it was given: keep only their file names, so
    an error read by a user does not show the server's folders (temporary upload files, work dirs)."""
    for arg in sorted((a for a in args[1:] if "/" in a), key=len, reverse=True):
        line = line.replace(arg, Path(arg).name)
    return line


@dataclass(frozen=True)
class Stream:
    index: int
    kind: str  # audio | video | subtitle | data
    codec: str
    channels: int = 0
    sample_rate: int = 0
    width: int = 0
    height: int = 0
    language: str = ""
    duration: float = 0.0


@dataclass(frozen=True)
class Probe:
    path: str
    format: str
    duration: float
    size: int
    streams: list[Stream] = field(default_factory=list)

    @property
    def audio(self) -> list[Stream]:
        return [s for s in self.streams if s.kind == "audio"]

    @property
    def video(self) -> list[Stream]:
        return [s for s in self.streams if s.kind == "video"]

    @property
    def subtitles(self) -> list[Stream]:
        return [s for s in self.streams if s.kind == "subtitle"]

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "duration": round(self.duration, 3),
            "size": self.size,
            "streams": [s.__dict__ for s in self.streams],
        }


def _tag_duration(tags: dict) -> float:
    """Matroska keeps per-stream durations in a DURATION tag ("HH:MM:SS.nnnnnnnnn")."""
    value = tags.get("DURATION") or tags.get("duration") or ""
    try:
        h, m, s = value.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    except ValueError:
        return 0.0


def probe(path: str | Path, *, timeout: float = 60) -> Probe:
    """Probe a media file. Raises InvalidMediaError when ffprobe cannot read it."""
    path = Path(path)
    if not path.is_file():
        raise InvalidMediaError(f"{path.name}: file not found")
    if path.stat().st_size == 0:
        raise InvalidMediaError(f"{path.name}: file is empty")
    try:
        proc = run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
            timeout=timeout,
            what="ffprobe",
        )
    except EngineUnavailable:
        raise
    except MediaError as exc:
        raise InvalidMediaError(f"{path.name}: not a readable media file ({exc})") from exc
    data = json.loads(proc.stdout or b"{}")
    fmt = data.get("format") or {}
    if not fmt:
        raise InvalidMediaError(f"{path.name}: not a readable media file")
    streams = []
    for s in data.get("streams", []):
        kind = s.get("codec_type", "data")
        if kind == "video" and (s.get("disposition") or {}).get("attached_pic"):
            kind = "data"  # cover art is not a video track
        streams.append(
            Stream(
                index=int(s.get("index", 0)),
                kind=kind,
                codec=s.get("codec_name", ""),
                channels=int(s.get("channels") or 0),
                sample_rate=int(s.get("sample_rate") or 0),
                width=int(s.get("width") or 0),
                height=int(s.get("height") or 0),
                language=(s.get("tags") or {}).get("language", ""),
                duration=float(s.get("duration") or 0.0) or _tag_duration(s.get("tags") or {}),
            )
        )
    duration = float(fmt.get("duration") or 0.0) or max((s.duration for s in streams), default=0.0)
    return Probe(
        path=str(path),
        format=fmt.get("format_name", ""),
        duration=duration,
        size=int(fmt.get("size") or path.stat().st_size),
        streams=streams,
    )


def require_audio(info: Probe, *, min_seconds: float = 0.0) -> None:
    name = Path(info.path).name
    if not info.audio:
        raise InvalidMediaError(f"{name}: has no audio stream")
    if info.duration <= 0:
        raise InvalidMediaError(f"{name}: has zero duration")
    if info.duration < min_seconds:
        raise InvalidMediaError(f"{name}: too short ({info.duration:.2f} s < {min_seconds:.2f} s)")


def extract_audio(
    src: str | Path, dst: str | Path, *, sample_rate: int, channels: int, stream: int | None = None
) -> Path:
    """Decode the (first or given) audio stream to 16-bit PCM WAV at a rate and channel count."""
    info = probe(src)
    require_audio(info)
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.stem + ".part" + dst.suffix)
    amap = f"0:{stream}" if stream is not None else "0:a:0"
    try:
        run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-map", amap, "-vn", "-sn", "-dn",
             "-ac", str(channels), "-ar", str(sample_rate), "-c:a", "pcm_s16le", "-f", "wav", str(tmp)],
            what="ffmpeg extract",
        )
    except MediaError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidMediaError(f"{Path(src).name}: audio could not be decoded ({exc})") from exc
    tmp.replace(dst)  # atomic: a killed worker never leaves a half-written output in place
    return dst


def extract_analysis(src: str | Path, dst: str | Path) -> Path:
    """16 kHz mono: what VAD, diarization, ASR and embeddings read."""
    return extract_audio(src, dst, sample_rate=16000, channels=1)


def extract_mix(src: str | Path, dst: str | Path, *, sample_rate: int = 48000) -> Path:
    """Full-rate stereo: what separation and the final mix read."""
    return extract_audio(src, dst, sample_rate=sample_rate, channels=2)


def cut(src: str | Path, dst: str | Path, start: float, end: float, *, sample_rate: int | None = None) -> Path:
    """Cut [start, end) seconds of audio to WAV."""
    if end <= start:
        raise MediaError(f"cut: end {end:.3f} must be after start {start:.3f}")
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{start:.3f}", "-t", f"{end - start:.3f}",
            "-i", str(src), "-vn", "-c:a", "pcm_s16le"]
    if sample_rate:
        args += ["-ar", str(sample_rate)]
    run(args + [str(dst)], what="ffmpeg cut")
    return dst
