"""Series refs of a character: list (operators, editors, admins) and upload (editors, admins)."""
from __future__ import annotations

from datetime import datetime

from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from dubsite.audit import Context

from . import selectors, services

router = Router(tags=["voices"])


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


@router.get("/{character_id}/refs", response=list[VoiceRefOut], summary="A character's series refs, newest first")
def list_refs(request, character_id: int):
    character = selectors.character_get(user=request.user, pk=character_id)
    return list(selectors.voice_ref_list(user=request.user, character=character))


@router.post("/{character_id}/refs", response={201: VoiceRefOut},
             summary="Upload a reference clip (1–60 s of the character alone; any audio or video format)")
def upload_ref(request, character_id: int, file: File[UploadedFile]):
    character = selectors.character_get(user=request.user, pk=character_id)
    ref = services.voice_ref_upload(actor=request.user, character=character, upload=file,
                                    context=Context.from_request(request))
    return Status(201, ref)
