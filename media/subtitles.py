"""SRT and WebVTT from (start, end, text) cues, and readers for both (tests, round trips)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .errors import MediaError

__all__ = ["Cue", "normalize", "write_srt", "write_vtt", "write", "read_srt", "read_vtt", "read", "format_srt", "format_vtt"]


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def normalize(cues: Iterable[Cue | Sequence]) -> list[Cue]:
    """Sorted cues with text; empty lines dropped, negative starts clamped, end > start."""
    out = []
    for item in cues:
        cue = item if isinstance(item, Cue) else Cue(float(item[0]), float(item[1]), str(item[2]))
        text = "\n".join(line.strip() for line in cue.text.replace("\r\n", "\n").strip().split("\n") if line.strip())
        if not text:
            continue
        start = max(cue.start, 0.0)
        if cue.end <= start:
            raise MediaError(f"cue {text[:30]!r}: end {cue.end:.3f} is not after start {start:.3f}")
        out.append(Cue(start, cue.end, text))
    return sorted(out, key=lambda c: (c.start, c.end))


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def format_srt(cues: Iterable[Cue | Sequence]) -> str:
    blocks = []
    for n, cue in enumerate(normalize(cues), 1):
        # a blank line ends an SRT cue: never let one inside the text
        blocks.append(f"{n}\n{_stamp(cue.start, ',')} --> {_stamp(cue.end, ',')}\n{cue.text}\n")
    return "\n".join(blocks)


def format_vtt(cues: Iterable[Cue | Sequence]) -> str:
    blocks = ["WEBVTT\n"]
    for cue in normalize(cues):
        # "-->" inside the text would read as a timing line
        text = cue.text.replace("-->", "->")
        blocks.append(f"{_stamp(cue.start, '.')} --> {_stamp(cue.end, '.')}\n{text}\n")
    return "\n".join(blocks)


def _write(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def write_srt(cues: Iterable[Cue | Sequence], path: str | Path) -> Path:
    return _write(path, format_srt(cues))


def write_vtt(cues: Iterable[Cue | Sequence], path: str | Path) -> Path:
    return _write(path, format_vtt(cues))


def write(cues: Iterable[Cue | Sequence], path: str | Path) -> Path:
    """By suffix: .srt or .vtt."""
    suffix = Path(path).suffix.lower()
    if suffix == ".srt":
        return write_srt(cues, path)
    if suffix == ".vtt":
        return write_vtt(cues, path)
    raise MediaError(f"{Path(path).name}: subtitles must be .srt or .vtt")


_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{3})"
_LINE = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")


def _seconds(h, m, s, ms) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000.0


def _parse(text: str) -> list[Cue]:
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\ufeff", "")):
        lines = block.strip("\n").split("\n")
        for i, line in enumerate(lines):
            match = _LINE.match(line)
            if match:
                g = match.groups()
                body = "\n".join(lines[i + 1:]).strip()
                cues.append(Cue(_seconds(*g[:4]), _seconds(*g[4:]), body))
                break
    return cues


def read_srt(path: str | Path) -> list[Cue]:
    return _parse(Path(path).read_text(encoding="utf-8-sig"))


def read_vtt(path: str | Path) -> list[Cue]:
    text = Path(path).read_text(encoding="utf-8-sig")
    if not text.lstrip().startswith("WEBVTT"):
        raise MediaError(f"{Path(path).name}: not a WebVTT file (no WEBVTT header)")
    return _parse(text)


def read(path: str | Path) -> list[Cue]:
    return read_vtt(path) if Path(path).suffix.lower() == ".vtt" else read_srt(path)
