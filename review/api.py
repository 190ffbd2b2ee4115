"""Review lines over the API: list, edit with a version, approve, lock, history, restore, and the
job's lines as CSV/SRT out and CSV in. Thin: the rules live in editing, revisions and exchange."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpResponse
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from dubsite.audit import Context
from dubsite.schemas import (
    CLOSED_MULTIPART, TEXT_PATTERN, IdPath, StrictSchema, Version as VersionNumber, errors, refuse_unknown_form_fields,
)
from jobs import selectors as job_selectors
from jobs.api import SegmentOut
from jobs.line_translation import job_line_translator

from .editing import TEXT_MAX, segment_approve, segment_edit, segment_lock
from .exchange import IMPORT_MAX_BYTES, lines_csv, lines_import, lines_srt
from .retranslate import lines_retranslate
from .revisions import revision_history, segment_restore
from .selectors import segment_get, segment_list

__all__ = ["lines_router", "job_lines_router"]

lines_router = Router(tags=["review"])
job_lines_router = Router(tags=["review"])

Version = Annotated[VersionNumber, Field(description="the line's version you started from")]


class EditIn(StrictSchema):
    target_text: Annotated[str, Field(min_length=1, max_length=TEXT_MAX, pattern=TEXT_PATTERN)]
    version: Version


class ApproveIn(StrictSchema):
    approved: bool
    version: Version


class LockIn(StrictSchema):
    locked: bool
    version: Version


class RestoreIn(StrictSchema):
    revision: Annotated[VersionNumber, Field(description="the revision whose text comes back")]
    version: Version


class DiffOpOut(Schema):
    op: Literal["equal", "delete", "insert"]
    text: str


class RevisionOut(Schema):
    version: int
    editor: str | None
    time: datetime
    note: str
    source_text: str
    target_text: str
    approved: bool
    locked: bool
    diff: list[DiffOpOut] = Field(description="words against the previous revision's target text")

    @staticmethod
    def resolve_diff(obj):
        return [{"op": op, "text": text} for op, text in obj.diff]


class RetranslateOut(Schema):
    retranslated: int = Field(description="lines with a new machine translation (flag dropped, approval withdrawn)")
    skipped_locked: int = Field(description="flagged lines that are locked: never touched")
    skipped_changed: int = Field(description="lines edited, locked or removed while the translation ran: kept")
    failed: int = Field(description="lines no engine could translate: text kept, flagged needs_translation")
    engine: str
    notes: list[str]


class ImportRefusalOut(Schema):
    index: int
    reason: str


class ImportReportOut(Schema):
    updated: int
    unchanged: int
    refused: list[ImportRefusalOut]


def _text_response(kind: str, description: str) -> dict:
    return {"responses": {200: {"description": description,
                                "content": {kind: {"schema": {"type": "string"}}}}}}


def _download(body: str, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body.encode("utf-8"), content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@job_lines_router.get("/{job_id}/lines", response={200: list[SegmentOut], **errors(401, 403, 404, 422)},
                      summary="The job's lines, with the version each save must name")
def job_lines(request, job_id: IdPath):
    job_selectors.job_get(user=request.user, pk=job_id)
    return list(segment_list(user=request.user, job_id=job_id))


@job_lines_router.get("/{job_id}/lines.csv", response={200: None, **errors(401, 403, 404, 422)},
                      openapi_extra=_text_response("text/csv", "index,start,end,character,source,target,version"),
                      summary="The job's lines as CSV (times in seconds, 3 decimals)")
def job_lines_csv(request, job_id: IdPath):
    job_selectors.job_get(user=request.user, pk=job_id)
    return _download(lines_csv(user=request.user, job_id=job_id), "text/csv", f"job{job_id}-lines.csv")


@job_lines_router.get("/{job_id}/lines.srt", response={200: None, **errors(401, 403, 404, 422)},
                      openapi_extra=_text_response("application/x-subrip", "SubRip subtitles of the target texts"),
                      summary="The job's target texts as SRT subtitles")
def job_lines_srt(request, job_id: IdPath):
    job_selectors.job_get(user=request.user, pk=job_id)
    return _download(lines_srt(user=request.user, job_id=job_id), "application/x-subrip", f"job{job_id}.srt")


@job_lines_router.post("/{job_id}/lines/import", response={200: ImportReportOut, **errors(400, 401, 403, 404, 413, 422)},
                       openapi_extra=CLOSED_MULTIPART,
                       summary="Import an edited CSV (multipart `file`): changed target texts are saved as edits; "
                               "locked or mismatched rows are reported in `refused`")
def job_lines_import(request, job_id: IdPath,
                     file: Annotated[UploadedFile, File(description="the CSV of lines.csv, edited; UTF-8, ≤ 2 MiB")]):
    refuse_unknown_form_fields(request, fields=set(), files={"file"})
    job_selectors.job_get(user=request.user, pk=job_id)
    data = file.read(IMPORT_MAX_BYTES + 1)  # one byte more tells "too large" without reading it all
    return lines_import(actor=request.user, job_id=job_id, data=data, context=Context.from_request(request))


@lines_router.patch("/{line_id}", response={200: SegmentOut, **errors(400, 401, 403, 404, 409, 413, 422)},
                    summary="Save a line's target text; 409 with the line as it is now when `version` is stale")
def edit_line(request, line_id: IdPath, payload: EditIn):
    segment = segment_get(user=request.user, pk=line_id)
    segment_edit(actor=request.user, segment=segment, target_text=payload.target_text, version=payload.version,
                 context=Context.from_request(request))
    return segment_get(user=request.user, pk=line_id)


@lines_router.post("/{line_id}/approve", response={200: SegmentOut, **errors(400, 401, 403, 404, 409, 413, 422)},
                   summary="Approve a line (or withdraw the approval)")
def approve_line(request, line_id: IdPath, payload: ApproveIn):
    segment = segment_get(user=request.user, pk=line_id)
    segment_approve(actor=request.user, segment=segment, version=payload.version, approved=payload.approved,
                    context=Context.from_request(request))
    return segment_get(user=request.user, pk=line_id)


@lines_router.post("/{line_id}/lock", response={200: SegmentOut, **errors(400, 401, 403, 404, 409, 413, 422)},
                   summary="Lock a line (reruns keep its text; TTS speaks it) or unlock it (audited)")
def lock_line(request, line_id: IdPath, payload: LockIn):
    segment = segment_get(user=request.user, pk=line_id)
    segment_lock(actor=request.user, segment=segment, version=payload.version, locked=payload.locked,
                 context=Context.from_request(request))
    return segment_get(user=request.user, pk=line_id)


@lines_router.get("/{line_id}/revisions", response={200: list[RevisionOut], **errors(401, 403, 404, 422)},
                  summary="A line's revisions, oldest first, each with its word differences")
def line_revisions(request, line_id: IdPath):
    segment = segment_get(user=request.user, pk=line_id)
    return revision_history(user=request.user, segment=segment)


@lines_router.post("/{line_id}/restore", response={200: SegmentOut, **errors(400, 401, 403, 404, 409, 413, 422)},
                   summary="Bring back an older revision's text as a new edit")
def restore_line(request, line_id: IdPath, payload: RestoreIn):
    segment = segment_get(user=request.user, pk=line_id)
    segment_restore(actor=request.user, segment=segment, revision_version=payload.revision, version=payload.version,
                    context=Context.from_request(request))
    return segment_get(user=request.user, pk=line_id)


@job_lines_router.post("/{job_id}/lines/retranslate", response={200: RetranslateOut, **errors(401, 403, 404, 422)},
                       summary="Translate the unlocked lines flagged needs_retranslate again (locked lines never); "
                               "a line edited meanwhile is not overwritten")
def job_lines_retranslate(request, job_id: IdPath):
    # In the request, not a q2 task: only flagged lines go (the few whose source changed on a rerun),
    # MT takes milliseconds a line and whisper well under a second, and the editor waits for the texts.
    job = job_selectors.job_get(user=request.user, pk=job_id)
    with job_line_translator(job) as translate_lines:
        return lines_retranslate(actor=request.user, job_id=job.pk, translate_lines=translate_lines,
                                 context=Context.from_request(request))
