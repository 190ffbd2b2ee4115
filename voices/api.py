"""Series refs of a character: list and play (operators, editors, admins), upload (editors, admins)."""
from __future__ import annotations

from datetime import datetime

from typing import Annotated

from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from dubsite.audit import Context
from dubsite.schemas import CLOSED_MULTIPART, IdPath, errors, refuse_unknown_form_fields

from . import selectors, services
from .playback import wav_response

router = Router(tags=["voices"])  # mounted at /characters
refs_router = Router(tags=["voices"])  # mounted at /voices

# A WAV body, not JSON: the schema says so, for clients and for schemathesis' checks.
WAV_RESPONSE = {"responses": {200: {"description": "The decrypted WAV (Cache-Control: private, no-store)",
                                    "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}}}}}


class VoiceRefOut(Schema):
    id: int
    character: str
    seconds: float
    sample_rate: int
    source: str
    source_job_id: int | None
    sha256: str
    created: datetime

    @staticmethod
    def resolve_character(obj) -> str:
        return obj.character.code


@router.get("/{character_id}/refs", response={200: list[VoiceRefOut], **errors(401, 403, 404, 422)},
            summary="A character's series refs, newest first")
def list_refs(request, character_id: IdPath):
    character = selectors.character_get(user=request.user, pk=character_id)
    return list(selectors.voice_ref_list(user=request.user, character=character))


@router.post("/{character_id}/refs", response={201: VoiceRefOut, **errors(400, 401, 403, 404, 409, 413, 422)},
             summary="Upload a reference clip (1–60 s of the character alone; any audio or video format)",
             openapi_extra=CLOSED_MULTIPART)
def upload_ref(request, character_id: IdPath,
               file: Annotated[UploadedFile, File(description="1–60 s of audio (or video with audio), ≤ 64 MiB")]):
    refuse_unknown_form_fields(request, fields=set(), files={"file"})
    character = selectors.character_get(user=request.user, pk=character_id)
    ref = services.voice_ref_upload(actor=request.user, character=character, upload=file,
                                    context=Context.from_request(request))
    return Status(201, ref)


@refs_router.get("/refs/{ref_id}/audio", response={200: None, **errors(401, 403, 404, 409, 422)},
                 openapi_extra=WAV_RESPONSE,
                 summary="Hear a series ref (operators, editors, admins); 409 when no configured key opens it")
def ref_audio(request, ref_id: IdPath):
    ref, data = selectors.voice_ref_audio(user=request.user, pk=ref_id)
    return wav_response(data, f"{ref.character.code}-ref{ref.pk}.wav")
