"""Job endpoints: submit, list, detail (passes, stages, events), cancel, retry, rerun pass 2, synthesize
approved, segments, speaker refs."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from dubsite.audit import Context
from dubsite.schemas import ID_MAX, Id, IdPath, StrictSchema, errors
from review.selectors import segment_list
from series.api import Language, ModeName
from series.selectors import episode_get
from voices.api import WAV_RESPONSE
from voices.playback import wav_response

from . import selectors, services
from .models import JobState

router = Router(tags=["jobs"])
StateName = Literal[tuple(JobState.values)]


class JobIn(StrictSchema):
    episode_id: Id
    mode: ModeName | None = Field(None, description="default: the series' default mode")
    two_pass: bool | None = Field(None, description="default: on for mode high")
    target_language: Language | None = Field(None, description="default: the series' target language")


class PassOut(Schema):
    number: int
    kind: str
    state: str
    error: str
    started: datetime | None
    finished: datetime | None


class StageOut(Schema):
    id: int
    name: str
    state: str
    pass_number: int
    fingerprint: str
    outputs: dict
    engines: dict
    error: str
    started: datetime
    finished: datetime | None
    duration: float | None

    @staticmethod
    def resolve_pass_number(obj):
        return obj.pass_obj.number


class EventOut(Schema):
    id: int
    time: datetime
    level: str
    stage: str
    message: str
    data: dict


class JobOut(Schema):
    id: int
    episode_id: int
    series: str
    mode: str
    two_pass: bool
    target_language: str
    state: str
    progress: float
    current_stage: str
    cancel_requested: bool
    attempts: int
    error: str
    outputs: dict
    created_by: str | None
    created: datetime
    started: datetime | None
    finished: datetime | None

    @staticmethod
    def resolve_series(obj):
        return obj.episode.season.series.slug

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.get_username() if obj.created_by_id else None


class JobDetail(JobOut):
    passes: list[PassOut]
    stages: list[StageOut]
    events: list[EventOut]

    @staticmethod
    def resolve_passes(obj):
        return list(obj.passes.all())

    @staticmethod
    def resolve_stages(obj):
        return list(obj.stage_runs.select_related("pass_obj"))

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.order_by("time", "id"))


class SegmentOut(Schema):
    id: int
    index: int
    start: float
    end: float
    diar_label: str
    character: str | None
    source_text: str
    target_text: str
    approved: bool
    locked: bool
    flags: list
    version: int

    @staticmethod
    def resolve_character(obj):
        return obj.character.code if obj.character_id else None


@router.get("", response={200: list[JobOut], **errors(401, 403, 422)}, summary="List jobs (newest first)")
def list_jobs(request,
              episode_id: Annotated[int, Query(description="only this episode's jobs", ge=1, le=ID_MAX)] = None,
              state: Annotated[StateName, Query(description="only jobs in this state")] = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100):
    return list(selectors.job_list(user=request.user, episode_id=episode_id, state=state)[:limit])


@router.post("", response={201: JobDetail, **errors(400, 401, 403, 404, 409, 413, 422)},
             summary="Submit a dubbing job for an episode")
def submit_job(request, payload: JobIn):
    episode = episode_get(user=request.user, pk=payload.episode_id)
    job = services.job_submit(actor=request.user, episode=episode, mode=payload.mode, two_pass=payload.two_pass,
                              target_language=payload.target_language, context=Context.from_request(request))
    return Status(201, selectors.job_get(user=request.user, pk=job.pk))


@router.get("/{job_id}", response={200: JobDetail, **errors(401, 403, 404, 422)},
            summary="Job with passes, stages and events")
def get_job(request, job_id: IdPath):
    return selectors.job_get(user=request.user, pk=job_id)


@router.post("/{job_id}/cancel", response={200: JobDetail, **errors(401, 403, 404, 409, 422)},
             summary="Cancel (queued: now; running: at the next stage)")
def cancel_job(request, job_id: IdPath):
    job = selectors.job_get(user=request.user, pk=job_id)
    services.job_cancel(actor=request.user, job=job, context=Context.from_request(request))
    return selectors.job_get(user=request.user, pk=job_id)


@router.post("/{job_id}/retry", response={200: JobDetail, **errors(401, 403, 404, 409, 422)},
             summary="Retry a failed, errored or cancelled job")
def retry_job(request, job_id: IdPath):
    job = selectors.job_get(user=request.user, pk=job_id)
    services.job_retry(actor=request.user, job=job, context=Context.from_request(request))
    return selectors.job_get(user=request.user, pk=job_id)


@router.post("/{job_id}/rerun-pass2", response={200: JobDetail, **errors(401, 403, 404, 409, 422)},
             summary="Rerun pass 2 (clone voices) of a finished job")
def rerun_pass2(request, job_id: IdPath):
    job = selectors.job_get(user=request.user, pk=job_id)
    services.job_rerun_pass2(actor=request.user, job=job, context=Context.from_request(request))
    return selectors.job_get(user=request.user, pk=job_id)


@router.get("/{job_id}/segments", response={200: list[SegmentOut], **errors(401, 403, 404, 422)},
            summary="The job's lines")
def job_segments(request, job_id: IdPath):
    selectors.job_get(user=request.user, pk=job_id)
    return list(segment_list(user=request.user, job_id=job_id))


@router.post("/{job_id}/synthesize", response={202: JobOut, **errors(401, 403, 404, 409, 422)},
             summary="Synthesize approved: a new pass speaks the approved and locked lines that changed "
                     "(tts → mix → mux), reusing every other line's clip")
def synthesize_job(request, job_id: IdPath):
    job = selectors.job_get(user=request.user, pk=job_id)
    services.job_synthesize_approved(actor=request.user, job=job, context=Context.from_request(request))
    return Status(202, selectors.job_get(user=request.user, pk=job_id))


Label = Annotated[str, Path(description="diarization label (SPEAKER_00…)", min_length=1, max_length=32,
                            pattern=r"^[A-Za-z0-9_.-]+$")]


@router.get("/{job_id}/speakers/{label}/ref", response={200: None, **errors(401, 403, 404, 409, 422)},
            openapi_extra=WAV_RESPONSE,
            summary="Hear a speaker's ref of this job (operators, editors, admins); 409 when no key opens it")
def speaker_ref(request, job_id: IdPath, label: Label,
                clone: Annotated[bool, Query(description="the 22.05 kHz copy made for cloning")] = False):
    job, data = selectors.job_ref_audio(user=request.user, pk=job_id, label=label, clone=clone)
    return wav_response(data, f"job{job.pk}-{label}{'-clone' if clone else ''}.wav")
