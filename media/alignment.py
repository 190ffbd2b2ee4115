"""Turn ASR words and diarization turns into speaker-attributed lines.

Each word goes to the speaker whose turn overlaps it most (nearest turn when none overlaps);
consecutive words of one speaker form a line, split at long pauses and at a maximum length so
that each line is a sensible dubbing slot; a piece of a sentence too short to be dubbed on its
own joins the rest of the sentence.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

from .asr import AsrSegment
from .diarization import Turn

__all__ = ["Line", "build_lines", "speaker_of", "snap_to_speech"]

MAX_PAUSE = 0.8  # seconds of silence that end a line
MAX_LINE = 12.0  # seconds: longer lines are split at the widest pause inside
MIN_LINE = 0.2  # seconds: the shortest slot a line gets
# seconds: a piece of a sentence shorter than this is no line of its own. Half a second holds one
# or two syllables: no voice says "end." or "This is a" clearly in it (in the dub eval such shards
# were heard at WER 0.5-2.0), and a sentence cut there by a turn boundary is word timing in
# crosstalk (whisper's word times are off by a few tenths there), not a change of speaker
FRAGMENT = 0.5


@dataclass
class Line:
    start: float
    end: float
    speaker: str
    text: str
    confidence: float  # mean word probability
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def speaker_of(start: float, end: float, turns: Sequence[Turn], prefer: str | None = None) -> str:
    """The speaker whose turn overlaps the word most. `prefer` (the speaker of the line the
    word would continue) keeps it where that speaker's turns cover at least half the word: in
    crosstalk both turns cover it and the diarization cannot say whose it is, and handing such
    words out one by one cut lines into one-word shards ("thank" / "you" to two people)."""
    if prefer:
        covered = sum(max(0.0, min(end, t.end) - max(start, t.start)) for t in turns if t.speaker == prefer)
        inside = any(t.start <= start <= t.end for t in turns if t.speaker == prefer)
        if (covered >= 0.5 * (end - start) and end > start) or (end <= start and inside):
            return prefer
    best, best_overlap = "", 0.0
    for t in turns:
        overlap = min(end, t.end) - max(start, t.start)
        if overlap > best_overlap:
            best, best_overlap = t.speaker, overlap
    if best or not turns:
        return best or "SPEAKER_00"
    mid = (start + end) / 2
    return min(turns, key=lambda t: min(abs(mid - t.start), abs(mid - t.end))).speaker


def _words(segments: Sequence[AsrSegment]):
    for seg in segments:
        if seg.words:
            yield from ((w.start, w.end, w.text, w.probability) for w in seg.words)
        elif seg.text.strip():  # a model without word timestamps: the segment is one "word"
            yield seg.start, seg.end, seg.text, float(min(max(seg.confidence, 0.0), 1.0))


def _close(words: list, speaker: str) -> Line:
    # whisper words may or may not carry their leading space: join on spaces, then tidy
    text = " ".join(w[2].strip() for w in words if w[2].strip())
    conf = sum(w[3] for w in words) / len(words)
    # whisper can stamp a lone word with zero length; a line needs a slot to be dubbed into
    line = Line(words[0][0], max(words[-1][1], words[0][0] + MIN_LINE), speaker, text, conf)
    if conf < 0.5:
        line.flags.append("low_confidence")
    return line


def _split_long(words: list) -> list[list]:
    if len(words) < 2 or words[-1][1] - words[0][0] <= MAX_LINE:
        return [words]
    gaps = [(words[i + 1][0] - words[i][1], i) for i in range(len(words) - 1)]
    _, cut = max(gaps)
    return _split_long(words[: cut + 1]) + _split_long(words[cut + 1:])


def _ends_sentence(text: str) -> bool:
    return text.strip().rstrip('"\'»)]').endswith((".", "?", "!", "…"))


def _newest(start: float, end: float, turns: Sequence[Turn]) -> str | None:
    """Of the speakers whose turns cover at least half the word, the one whose turn began last:
    after a full stop, in overlapping turns, the one who is starting to talk."""
    covering = [t for t in turns if min(end, t.end) - max(start, t.start) >= 0.5 * (end - start) and end > start]
    return max(covering, key=lambda t: t.start).speaker if covering else None


def build_lines(segments: Sequence[AsrSegment], turns: Sequence[Turn]) -> list[Line]:
    lines: list[Line] = []
    current: list = []
    speaker = ""
    for word in _words(segments):
        # a word in crosstalk stays with the line it continues (when that speaker is talking too),
        # unless that line has just ended a sentence: then the other speaker's reply may begin
        prefer = None
        if current and word[0] - current[-1][1] <= MAX_PAUSE:
            prefer = _newest(word[0], word[1], turns) if _ends_sentence(current[-1][2]) else speaker
        who = speaker_of(word[0], word[1], turns, prefer=prefer)
        if current and (who != speaker or word[0] - current[-1][1] > MAX_PAUSE):
            lines.extend(_close(chunk, speaker) for chunk in _split_long(current))
            current = []
        current.append(word)
        speaker = who
    if current:
        lines.extend(_close(chunk, speaker) for chunk in _split_long(current))
    return _join_fragments([line for line in lines if line.text])


def _join_fragments(lines: list[Line]) -> list[Line]:
    """One sentence cut into two lines by a speaker change, one piece under FRAGMENT seconds
    ("This is a" / "bit of HTML goo.", "I think this would be a break for" / "end."): the piece
    joins the rest of its sentence, which keeps the longer piece's speaker. Lines that end a
    sentence, or are more than MAX_PAUSE apart, are left as they are ("Hello." / "Yeah.")."""
    out: list[Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if (prev is not None and not _ends_sentence(prev.text) and line.start - prev.end <= MAX_PAUSE
                and min(prev.end - prev.start, line.end - line.start) < FRAGMENT):
            out[-1] = _joined(prev, line)
        else:
            out.append(line)
    return out


def _joined(first: Line, second: Line) -> Line:
    speaker = first.speaker if first.end - first.start >= second.end - second.start else second.speaker
    n1, n2 = len(first.text.split()), len(second.text.split())
    confidence = (first.confidence * n1 + second.confidence * n2) / max(n1 + n2, 1)
    flags = sorted((set(first.flags) | set(second.flags)) - {"low_confidence"})
    if confidence < 0.5:
        flags.append("low_confidence")
    return Line(min(first.start, second.start), max(first.end, second.end), speaker,
                f"{first.text} {second.text}", confidence, flags)


def snap_to_speech(lines: Sequence[Line], speech: Sequence) -> list[Line]:
    """Tighten each line to the detected speech inside it: whisper often starts a line's first
    word early (in the silence before it) and ends the last one late. Slots then match the
    voice the dub replaces. A line with no detected speech inside is left as it is."""
    out = []
    for line in lines:
        inside = [(max(r.start, line.start), min(r.end, line.end)) for r in speech
                  if r.end > line.start and r.start < line.end]
        if inside:
            start, end = inside[0][0], inside[-1][1]
            if end - start >= MIN_LINE:
                line = Line(start, end, line.speaker, line.text, line.confidence, list(line.flags))
        out.append(line)
    return out
