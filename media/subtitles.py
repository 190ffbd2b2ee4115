"""SRT and WebVTT from (start, end, text) cues, and readers for both (tests, round trips)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .errors import MediaError

__all__ = ["Cue", "normalize", "layout", "MIN_CUE_SECONDS", "write_srt", "write_vtt", "write", "read_srt", "read_vtt", "read", "format_srt", "format_vtt"]


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


# Readers need about 5/6 s to notice a cue at all (broadcast guidelines use 0.83 s); shorter ones flash.
MIN_CUE_SECONDS = 0.8
# Consecutive cues are kept apart by this much so players never show two at once.
CUE_GAP = 0.04


def _merge(group: list[Cue]) -> Cue:
    """Lines said together become one cue, each speaker's line on its own dash (the usual style
    for two people talking at once)."""
    if len(group) == 1:
        return group[0]
    text = "\n".join(("- " + c.text.replace("\n", " ")) for c in group)
    return Cue(min(c.start for c in group), max(c.end for c in group), text)


def layout(cues: Iterable[Cue | Sequence], *, min_seconds: float = MIN_CUE_SECONDS) -> list[Cue]:
    """Cues a viewer can read: never two on screen at once (overlapping lines are merged into
    one cue) and none shorter than `min_seconds` (a short cue takes room from the silence after
    it, else before it, else joins its nearest neighbour)."""
    merged: list[Cue] = []
    group: list[Cue] = []
    for cue in normalize(cues):
        if group and cue.start < max(c.end for c in group):
            group.append(cue)
            continue
        if group:
            merged.append(_merge(group))
        group = [cue]
    if group:
        merged.append(_merge(group))
    out = list(merged)
    i = 0
    while i < len(out):
        cue = out[i]
        if cue.end - cue.start >= min_seconds:
            i += 1
            continue
        later = out[i + 1].start - CUE_GAP if i + 1 < len(out) else float("inf")
        earlier = out[i - 1].end + CUE_GAP if i > 0 else 0.0
        end = min(max(cue.end, cue.start + min_seconds), later)
        start = max(min(cue.start, end - min_seconds), earlier)
        if end - start >= min_seconds - 1e-9:
            out[i] = Cue(start, end, cue.text)
            i += 1
            continue
        if len(out) == 1:
            out[i] = Cue(start, start + min_seconds, cue.text)
            break
        # no room on either side: join the closer neighbour (it is re-checked as one cue)
        gap_after = out[i + 1].start - cue.end if i + 1 < len(out) else float("inf")
        gap_before = cue.start - out[i - 1].end if i > 0 else float("inf")
        j = i + 1 if gap_after <= gap_before else i - 1
        a, b = sorted((i, j))
        out[a:b + 1] = [Cue(out[a].start, out[b].end, out[a].text + "\n" + out[b].text)]
        i = a
    return out


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def format_srt(cues: Iterable[Cue | Sequence]) -> str:
    blocks = []
    for n, cue in enumerate(layout(cues), 1):
        # a blank line ends an SRT cue: never let one inside the text
        blocks.append(f"{n}\n{_stamp(cue.start, ',')} --> {_stamp(cue.end, ',')}\n{cue.text}\n")
    return "\n".join(blocks)


def format_vtt(cues: Iterable[Cue | Sequence]) -> str:
    blocks = ["WEBVTT\n"]
    for cue in layout(cues):
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
