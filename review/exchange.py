"""A job's lines out as SRT or CSV, and an edited CSV back in (a translator working offline).

The import is one transaction: the file is checked as a whole first (size, UTF-8, header, columns,
numbers: any fault refuses the upload with a 422 and writes nothing); then each row goes through the
same rules as an editor's save (`do_edit`). A row those rules refuse (a locked line, a timing that
does not match, an invalid text, a line changed since the export) is reported in `refused` and does
not stop the other rows; the accepted rows commit together.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from django.db import transaction

from dubsite import audit
from dubsite.errors import ApplicationError, Invalid, TooLarge
from dubsite.roles import require
from media.subtitles import format_srt

from .editing import check_target_text, do_edit
from .models import Segment

__all__ = ["CSV_COLUMNS", "IMPORT_MAX_BYTES", "TIME_TOLERANCE", "lines_csv", "lines_srt", "parse_lines_csv",
           "lines_import"]

# `version` lets an import refuse a row whose line someone changed after the export; a hand-made
# file may leave it out (the row then applies to the line as it is).
CSV_COLUMNS = ("index", "start", "end", "character", "source", "target", "version")
REQUIRED_COLUMNS = ("index", "start", "end", "target")
IMPORT_MAX_BYTES = 2 * 1024 * 1024
TIME_TOLERANCE = 0.05  # seconds: a row is the line only if its times are the line's


def _lines(job_id: int):
    return Segment.objects.filter(job_id=job_id).select_related("character").order_by("index")


def _character(seg: Segment) -> str:
    if not seg.character_id:
        return ""
    return seg.character.display_name or seg.character.code


def lines_csv(*, user, job_id: int) -> str:
    require(user, "review.view_segment")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for seg in _lines(job_id):
        writer.writerow([seg.index, f"{seg.start:.3f}", f"{seg.end:.3f}", _character(seg), seg.source_text,
                         seg.target_text, seg.version])
    return out.getvalue()


def lines_srt(*, user, job_id: int) -> str:
    """The same cues as the dub's subtitle track (media.subtitles: lines without a target text left
    out, lines said together in one cue, no cue that flashes)."""
    require(user, "review.view_segment")
    return format_srt([(seg.start, seg.end, seg.target_text) for seg in _lines(job_id)])


@dataclass(frozen=True)
class ImportRow:
    line: int  # the row's line number in the file, for messages
    index: int
    start: float
    end: float
    target: str
    version: int | None


def _number(raw: str, kind, column: str, line: int):
    try:
        value = kind(raw.strip())
    except ValueError:
        raise Invalid(f"row {line}: {column} {raw!r} is not a number", fields={column: f"row {line}: not a number"}) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid(f"row {line}: {column} must be a finite number", fields={column: f"row {line}: not finite"})
    return value


def parse_lines_csv(data: bytes) -> list[ImportRow]:
    """Check the whole file; any fault is a 422 (413 over the size limit) naming the row and column."""
    if len(data) > IMPORT_MAX_BYTES:
        raise TooLarge(f"the CSV is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MiB", fields={"file": "too large"})
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's byte-order mark is not part of the header
    except UnicodeDecodeError as exc:
        raise Invalid(f"the CSV is not UTF-8 (byte {exc.start})", fields={"file": "not UTF-8"}) from None
    if "\x00" in text:
        raise Invalid("the CSV contains NUL bytes", fields={"file": "NUL bytes"})
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))  # an unclosed quote is an error
    except csv.Error as exc:
        raise Invalid(f"the CSV cannot be read: {exc}", fields={"file": "malformed"}) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise Invalid("the CSV is empty: the first row must be the header "
                      f"({','.join(CSV_COLUMNS)})", fields={"file": "no header row"})
    header = [cell.strip().lower() for cell in rows[0]]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing:
        parts = [f"unknown columns: {', '.join(unknown)}"] if unknown else []
        parts += [f"missing columns: {', '.join(missing)}"] if missing else []
        raise Invalid(f"the first row must be the header ({','.join(CSV_COLUMNS)}; version, character and source "
                      f"may be left out): {'; '.join(parts)}", fields={"file": "bad header"})
    if len(set(header)) != len(header):
        raise Invalid("the header names a column twice", fields={"file": "duplicate column"})
    col = {name: i for i, name in enumerate(header)}
    parsed, seen = [], set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a trailing blank row from a spreadsheet
        if len(row) != len(header):
            raise Invalid(f"row {line} has {len(row)} cells, the header {len(header)}", fields={"file": f"row {line}"})
        index = _number(row[col["index"]], int, "index", line)
        if index in seen:
            raise Invalid(f"row {line}: line {index} appears twice", fields={"index": f"row {line}: duplicate"})
        seen.add(index)
        version = _number(row[col["version"]], int, "version", line) if "version" in col and row[col["version"]].strip() else None
        parsed.append(ImportRow(line=line, index=index, start=_number(row[col["start"]], float, "start", line),
                                end=_number(row[col["end"]], float, "end", line), target=row[col["target"]],
                                version=version))
    return parsed


def lines_import(*, actor, job_id: int, data: bytes, context=None) -> dict:
    """Apply the changed target texts of an edited CSV: {updated, unchanged, refused: [{index, reason}]}."""
    require(actor, "review.change_segment")
    rows = parse_lines_csv(data)
    updated = unchanged = 0
    refused: list[dict] = []
    with transaction.atomic():
        # All the job's lines locked in index order: one order for every writer, so no deadlock.
        lines = {s.index: s for s in Segment.objects.select_for_update().filter(job_id=job_id).order_by("index")}
        for row in rows:
            seg = lines.get(row.index)
            reason = _refusal(seg, row)
            if reason:
                refused.append({"index": row.index, "reason": reason})
                continue
            try:
                text = check_target_text(row.target)
                if do_edit(seg, actor=actor, text=text, note="imported from CSV", action="segment.edit",
                           context=context, extra={"source": "csv import"}):
                    updated += 1
                else:
                    unchanged += 1
            except ApplicationError as exc:  # a locked line, an invalid text: this row only
                refused.append({"index": row.index, "reason": exc.message})
        report = {"updated": updated, "unchanged": unchanged, "refused": refused}
        audit.record(actor, "segments.import", target_type="jobs.job", target_id=str(job_id),
                     new={"updated": updated, "unchanged": unchanged, "refused": len(refused)}, context=context)
    return report


def _refusal(seg: Segment | None, row: ImportRow) -> str:
    if seg is None:
        return "the job has no such line"
    if abs(seg.start - row.start) > TIME_TOLERANCE or abs(seg.end - row.end) > TIME_TOLERANCE:
        return (f"the times {row.start:.3f}-{row.end:.3f} are not the line's ({seg.start:.3f}-{seg.end:.3f}); "
                "lines are matched by index and time")
    if row.version is not None and row.version != seg.version and row.target.strip() != seg.target_text:
        return (f"the line was changed after the export (version {row.version}, now {seg.version}); "
                "export again to edit its current text")
    return ""
