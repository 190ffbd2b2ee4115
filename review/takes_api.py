"""A line's takes, audio and duration budget over the API (mounted under /api/lines). Thin: the
rules live in review.takes, review.line_audio and review.budget; what they need from the job comes
from jobs.line_voicing. Audio answers HTTP Range (206/416) so the page's <audio> can seek."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

from django.urls import reverse
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from dubsite.audit import Context
from dubsite.ranges import ranged_response
from dubsite.schemas import TEXT_PATTERN, IdPath, StrictSchema, Version as VersionNumber, errors
from jobs import selectors as job_selectors
from jobs.line_voicing import job_audio_names, job_voicing

from .budget import line_budget
from .editing import TEXT_MAX
from .line_audio import line_dub, line_original, take_audio
from .selectors import segment_get
from .takes import take_choose, take_list, take_regenerate

__all__ = ["takes_router"]

takes_router = Router(tags=["review"])

TakeNumber = Annotated[int, Path(description="the take's number (1, 2, …)", ge=1, le=2**31 - 1)]
_BINARY = {"audio/wav": {"schema": {"type": "string", "format": "binary"}}}
WAV = {"responses": {200: {"description": "WAV audio (Accept-Ranges: bytes)", "content": _BINARY},
                     206: {"description": "the byte range asked with `Range: bytes=a-b` (Content-Range)",
                           "content": _BINARY}}}


class RegenerateIn(StrictSchema):
    version: Annotated[VersionNumber, Field(description="the line's version whose text you want to hear")]


class ChooseIn(StrictSchema):
    take: Annotated[VersionNumber | None, Field(description="the take's number; null: back to the pass's own clip")]


class TakeOut(Schema):
    id: int
    number: int
    text: str
    duration: float
    speed: float
    provider: str
    chosen: bool
    seconds: float = Field(description="request → playable clip, seconds")
    created: datetime
    created_by: str | None
    audio_url: str
    notes: list[str] = Field(description="why the voice may differ from the pass's (fallbacks)")

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.get_username() if obj.created_by_id else None

    @staticmethod
    def resolve_audio_url(obj):
        return reverse("api:line_take_audio", kwargs={"line_id": obj.segment_id, "number": obj.number})

    @staticmethod
    def resolve_notes(obj):
        return list((obj.voice_plan or {}).get("notes", []))


class BudgetOut(Schema):
    slot: float = Field(description="seconds the line has in the episode")
    estimated: float = Field(description="seconds the line's voice would take to say the text")
    speed_needed: float = Field(description="estimated / slot")
    cap: float = Field(description="the speed-up the fit allows (1.35)")
    warn: bool = Field(description="speed_needed > cap: the line would overrun; shorten it")
    voice: str
    clone: bool
    basis: str = Field(description="where the voice's speaking rate comes from")


def _line_and_job(request, line_id: int):
    segment = segment_get(user=request.user, pk=line_id)
    job = job_selectors.job_get(user=request.user, pk=segment.job_id)
    return segment, job


@takes_router.post("/{line_id}/regenerate", response={201: TakeOut, **errors(400, 401, 403, 404, 409, 413, 422)},
                   summary="Speak the line's current text again into a new take (409 when `version` is stale)")
def regenerate_line(request, line_id: IdPath, payload: RegenerateIn):
    started = time.perf_counter()
    segment, job = _line_and_job(request, line_id)
    take = take_regenerate(actor=request.user, segment=segment, version=payload.version, voicing=job_voicing(job),
                           started=started, context=Context.from_request(request))
    return Status(201, take)


@takes_router.get("/{line_id}/takes", response={200: list[TakeOut], **errors(401, 403, 404, 422)},
                  summary="The line's takes, oldest first")
def line_takes(request, line_id: IdPath):
    segment, _ = _line_and_job(request, line_id)
    return take_list(user=request.user, segment=segment)


@takes_router.post("/{line_id}/choose-take", response={200: list[TakeOut], **errors(400, 401, 403, 404, 413, 422)},
                   summary="Choose which take the dub uses (null: the pass's own clip); audited")
def choose_take(request, line_id: IdPath, payload: ChooseIn):
    segment, _ = _line_and_job(request, line_id)
    return take_choose(actor=request.user, segment=segment, number=payload.take,
                       context=Context.from_request(request))


@takes_router.get("/{line_id}/takes/{number}/audio", url_name="line_take_audio",
                  response={200: None, **errors(401, 403, 404, 416, 422)}, openapi_extra=WAV,
                  summary="A take's audio (WAV, Range)")
def take_audio_file(request, line_id: IdPath, number: TakeNumber):
    segment, _ = _line_and_job(request, line_id)
    data = take_audio(user=request.user, segment=segment, number=number)
    return ranged_response(request, data, "audio/wav", filename=f"line{line_id}-take{number}.wav")


@takes_router.get("/{line_id}/audio/original", response={200: None, **errors(401, 403, 404, 416, 422)},
                  openapi_extra=WAV, summary="The source audio of the line's slot (WAV, Range)")
def original_audio(request, line_id: IdPath):
    segment, job = _line_and_job(request, line_id)
    data = line_original(user=request.user, segment=segment, source_name=job_audio_names(job)["original"])
    return ranged_response(request, data, "audio/wav", filename=f"line{line_id}-original.wav")


@takes_router.get("/{line_id}/audio/dub", response={200: None, **errors(401, 403, 404, 416, 422)},
                  openapi_extra=WAV,
                  summary="The line's current dub: its chosen take, else the pass's clip, else its slot of the "
                          "final mix (WAV, Range; `X-Dub-Source` says which)")
def dub_audio(request, line_id: IdPath):
    segment, job = _line_and_job(request, line_id)
    data, source = line_dub(user=request.user, segment=segment, mix_name=job_audio_names(job)["mix"])
    response = ranged_response(request, data, "audio/wav", filename=f"line{line_id}-dub.wav")
    response["X-Dub-Source"] = source
    return response


@takes_router.get("/{line_id}/budget", response={200: BudgetOut, **errors(401, 403, 404, 422)},
                  summary="Duration budget of a text in the line's voice: slot, estimated seconds, speed needed")
def line_budget_view(request, line_id: IdPath,
                     text: Annotated[str | None, Query(max_length=TEXT_MAX, pattern=TEXT_PATTERN,
                                                       description="the text being typed; default: the line's")]
                     = None):
    segment, job = _line_and_job(request, line_id)
    return line_budget(user=request.user, segment=segment, text=text, voicing=job_voicing(job))

