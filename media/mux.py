"""Mux the dub into MKV or MP4: video copied, dub as the default audio track, the original
audio kept as a second track, subtitles (SRT/VTT; mov_text in MP4), ISO 639-2 language tags
and titles. Audio-only sources mux too (no video stream is mapped then).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from . import ffmpeg
from .errors import InvalidMediaError, MediaError

__all__ = ["SubtitleTrack", "MuxResult", "mux", "encode_aac", "iso639_2"]

# ISO 639-1 -> ISO 639-2/B (what Matroska wants; ffmpeg maps it for MP4 itself)
_ISO = {
    "ar": "ara", "bg": "bul", "ca": "cat", "cs": "cze", "da": "dan", "de": "ger", "el": "gre", "en": "eng",
    "es": "spa", "et": "est", "fa": "per", "fi": "fin", "fr": "fre", "he": "heb", "hi": "hin", "hr": "hrv",
    "hu": "hun", "id": "ind", "is": "ice", "it": "ita", "ja": "jpn", "ko": "kor", "lt": "lit", "lv": "lav",
    "ms": "may", "nl": "dut", "no": "nor", "nb": "nob", "nn": "nno", "pl": "pol", "pt": "por", "ro": "rum",
    "ru": "rus", "sk": "slo", "sl": "slv", "sr": "srp", "sv": "swe", "th": "tha", "tr": "tur", "uk": "ukr",
    "vi": "vie", "zh": "chi", "cy": "wel", "ga": "gle", "eu": "baq", "gl": "glg", "sq": "alb", "mk": "mac",
    "hy": "arm", "ka": "geo", "bn": "ben", "ta": "tam", "te": "tel", "ur": "urd", "sw": "swa", "tl": "tgl",
}
_T_TO_B = {"deu": "ger", "fra": "fre", "zho": "chi", "nld": "dut", "ces": "cze", "ell": "gre", "fas": "per",
           "isl": "ice", "msa": "may", "ron": "rum", "slk": "slo", "cym": "wel", "eus": "baq", "sqi": "alb",
           "mkd": "mac", "hye": "arm", "kat": "geo"}
MP4_COPY_AUDIO = {"aac", "mp3", "ac3", "eac3", "alac"}


def iso639_2(code: str | None) -> str:
    """"en", "en-US", "eng", "deu" -> "eng", "eng", "eng", "ger"; unknown -> "und"."""
    if not code:
        return "und"
    base = code.replace("_", "-").split("-")[0].lower()
    if len(base) == 2:
        return _ISO.get(base, "und")
    if len(base) == 3 and base.isalpha():
        return _T_TO_B.get(base, base)
    return "und"


@dataclass(frozen=True)
class SubtitleTrack:
    path: Path
    language: str
    title: str = ""
    default: bool = False
    forced: bool = False


@dataclass
class MuxResult:
    path: Path
    container: str
    duration: float
    streams: list[ffmpeg.Stream] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"path": str(self.path), "container": self.container, "duration": round(self.duration, 3),
                "streams": [s.__dict__ for s in self.streams]}


def _container(out: Path) -> tuple[str, str]:
    suffix = out.suffix.lower()
    if suffix == ".mkv":
        return "mkv", "matroska"
    if suffix in (".mp4", ".m4v", ".m4a"):
        return "mp4", "mp4"
    raise MediaError(f"{out.name}: output must be .mkv or .mp4")


def encode_aac(src: str | Path, out: str | Path, *, bitrate: str = "192k", timeout: float | None = None) -> Path:
    """`src` as AAC in an .m4a, for muxing into several containers without encoding it again
    (ffmpeg's AAC encoder is single-threaded: ~10 CPU seconds per 6 minutes of 48 kHz stereo)."""
    out = Path(out)
    ffmpeg.require_audio(ffmpeg.probe(src))
    ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-map", "0:a:0", "-c:a", "aac",
                "-b:a", bitrate, "-f", "mp4", str(out)], timeout=timeout, what="ffmpeg aac")
    return out


def mux(
    out: str | Path,
    *,
    source: str | Path,
    dub_audio: str | Path,
    dub_language: str,
    original_language: str = "und",
    subtitles: Sequence[SubtitleTrack] = (),
    original_audio: str | Path | None = None,
    keep_original: bool = True,
    dub_title: str | None = None,
    original_title: str | None = None,
    title: str | None = None,
    audio_bitrate: str = "192k",
    timeout: float | None = None,
) -> MuxResult:
    """Write `out` (.mkv or .mp4) from the source's video, the dub and the original audio.

    `original_audio` replaces the source's own first audio track as the second track. A dub
    already in AAC (encode_aac) is copied, anything else is encoded to AAC at `audio_bitrate`.
    """
    out, source, dub_audio = Path(out), Path(source), Path(dub_audio)
    container, fmt = _container(out)
    src_info = ffmpeg.probe(source)
    dub_info = ffmpeg.probe(dub_audio)
    ffmpeg.require_audio(dub_info)
    orig_path = Path(original_audio) if original_audio else source
    orig_info = ffmpeg.probe(orig_path) if original_audio else src_info
    if keep_original and original_audio:
        ffmpeg.require_audio(orig_info)
    keep_original = keep_original and bool(orig_info.audio)
    for sub in subtitles:
        if Path(sub.path).suffix.lower() not in (".srt", ".vtt"):
            raise MediaError(f"{Path(sub.path).name}: subtitles must be .srt or .vtt")
        if not Path(sub.path).is_file():
            raise InvalidMediaError(f"{Path(sub.path).name}: subtitle file not found")

    inputs = ["-i", str(source), "-i", str(dub_audio)]
    orig_input = 0
    if keep_original and original_audio:
        inputs += ["-i", str(orig_path)]
        orig_input = 2
    first_sub = len(inputs) // 2
    for sub in subtitles:
        inputs += ["-i", str(sub.path)]

    maps: list[str] = []
    codecs: list[str] = []
    meta: list[str] = []
    if src_info.video:
        maps += ["-map", f"0:{src_info.video[0].index}"]
        codecs += ["-c:v", "copy"]
    maps += ["-map", "1:a:0"]
    if dub_info.audio[0].codec == "aac":  # encoded once for both containers (encode_aac): copy it
        codecs += ["-c:a:0", "copy"]
    else:
        codecs += ["-c:a:0", "aac", "-b:a:0", audio_bitrate]
    audio_tracks = [(dub_language, dub_title or f"Dub ({iso639_2(dub_language)})", "default")]
    if keep_original:
        maps += ["-map", f"{orig_input}:a:0"]
        codec = orig_info.audio[0].codec
        if container == "mkv" or codec in MP4_COPY_AUDIO:
            codecs += ["-c:a:1", "copy"]
        else:
            codecs += ["-c:a:1", "aac", "-b:a:1", audio_bitrate]
        audio_tracks.append((original_language, original_title or f"Original ({iso639_2(original_language)})", "0"))
    for i, (lang, name, disposition) in enumerate(audio_tracks):
        meta += [f"-metadata:s:a:{i}", f"language={iso639_2(lang)}", f"-metadata:s:a:{i}", f"title={name}",
                 f"-disposition:a:{i}", disposition]
        if container == "mp4":
            meta += [f"-metadata:s:a:{i}", f"handler_name={name}"]  # MP4 players show the handler name
    for i, sub in enumerate(subtitles):
        maps += ["-map", f"{first_sub + i}:0"]
        if container == "mp4":
            codec = "mov_text"
        else:
            codec = "webvtt" if Path(sub.path).suffix.lower() == ".vtt" else "srt"
        flags = [f for f, on in (("default", sub.default), ("forced", sub.forced)) if on]
        name = sub.title or f"Subtitles ({iso639_2(sub.language)})"
        codecs += [f"-c:s:{i}", codec]
        meta += [f"-metadata:s:s:{i}", f"language={iso639_2(sub.language)}", f"-metadata:s:s:{i}", f"title={name}",
                 f"-disposition:s:{i}", "+".join(flags) or "0"]
        if container == "mp4":
            meta += [f"-metadata:s:s:{i}", f"handler_name={name}"]
    if title:
        meta += ["-metadata", f"title={title}"]
    extra = ["-movflags", "+faststart"] if container == "mp4" else []

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mux-", dir=out.parent) as tmp:
        tmp_out = Path(tmp) / f"out{out.suffix}"
        ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, *maps, *codecs, *meta, *extra,
                    "-f", fmt, str(tmp_out)], timeout=timeout, what=f"ffmpeg mux {container}")
        tmp_out.replace(out)
    info = ffmpeg.probe(out)
    return MuxResult(out, container, info.duration, info.streams)
