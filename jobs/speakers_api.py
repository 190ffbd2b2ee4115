"""A job's speakers: who each diarization label speaks as, a person's assignment, "enroll this
ref", and re-running the job from identify. The same services and permissions as the job page."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Path, Router, Schema, Status
from pydantic import Field

from dubsite.audit import Context
from dubsite.schemas import TEXT_PATTERN, Id, IdPath, StrictSchema, errors
from voices.selectors import character_get
from voices.speakers import speaker_assign

from . import selectors, services
from .api import JobDetail
from .speakers import job_ref_name, job_refs, job_speaker_enroll, speaker_get, speaker_list

router = Router(tags=["jobs"])

LabelPath = Annotated[str, Path(description="the diarization label (e.g. S1)", min_length=1, max_length=32,
                                pattern=r"^[-A-Za-z0-9_.]+$")]


class SpeakerCharacterOut(Schema):
    id: int
    code: str
    display_name: str


class SpeakerOut(Schema):
    label: str
    character: SpeakerCharacterOut | None
    provider: str = Field(description="auto (matched by voice), new (a new character), assigned (by a person)")
    similarity: float | None
    margin: float | None
    seconds: float
    flagged: bool
    reason: str
    has_ref: bool = Field(description="the job kept a ref of this label (heard through the job ref audio view)")
    assigned_by: str | None
    assigned_at: datetime | None

    @staticmethod
    def resolve_assigned_by(obj):
        return obj.assigned_by.get_username() if obj.assigned_by_id else None


class AssignIn(StrictSchema):
    """Exactly one of the two."""

    character_id: Id | None = Field(None, description="an existing (not alias) character of the episode's series")
    new_name: Annotated[str, Field(min_length=1, max_length=100, pattern=TEXT_PATTERN)] | None = Field(
        None, description="create a new character with this name")


class EnrolledOut(Schema):
    id: int
    character: str
    seconds: float
    source: str
    source_job_id: int | None
    created: datetime

    @staticmethod
    def resolve_character(obj):
        return obj.character.code


def _with_ref(job, speakers):
    refs = job_refs(job)
    for speaker in speakers:
        speaker.has_ref = job_ref_name(job, speaker.label, refs) is not None
    return speakers


@router.get("/{job_id}/speakers", response={200: list[SpeakerOut], **errors(401, 403, 404, 422)},
            summary="The job's speakers and the characters they speak as")
def list_speakers(request, job_id: IdPath):
    job = selectors.job_get(user=request.user, pk=job_id)
    return _with_ref(job, list(speaker_list(user=request.user, job=job)))


@router.post("/{job_id}/speakers/{label}/assign", response={200: SpeakerOut, **errors(400, 401, 403, 404, 413, 422)},
             summary="Assign the label to an existing or a new character (wins over voice matching when "
                     "identify runs again)")
def assign_speaker(request, job_id: IdPath, label: LabelPath, payload: AssignIn):
    job = selectors.job_get(user=request.user, pk=job_id)
    speaker = speaker_get(user=request.user, job=job, label=label)
    character = character_get(user=request.user, pk=payload.character_id) if payload.character_id else None
    speaker_assign(actor=request.user, speaker=speaker, character=character, new_name=payload.new_name,
                   context=Context.from_request(request))
    return _with_ref(job, [speaker_get(user=request.user, job=job, label=label)])[0]


@router.post("/{job_id}/speakers/{label}/enroll", response={201: EnrolledOut, **errors(401, 403, 404, 409, 422)},
             summary="Keep the job's ref of this label as its character's series ref")
def enroll_speaker(request, job_id: IdPath, label: LabelPath):
    job = selectors.job_get(user=request.user, pk=job_id)
    ref = job_speaker_enroll(actor=request.user, job=job, label=label, context=Context.from_request(request))
    return Status(201, ref)


@router.post("/{job_id}/reidentify", response={200: JobDetail, **errors(401, 403, 404, 409, 422)},
             summary="Run an ended job again from identify, so lines and voices follow the assignments")
def reidentify(request, job_id: IdPath):
    job = selectors.job_get(user=request.user, pk=job_id)
    services.job_reidentify(actor=request.user, job=job, context=Context.from_request(request))
    return selectors.job_get(user=request.user, pk=job_id)
