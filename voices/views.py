"""Pages that play voice data. Only roles with `voices.view_voiceref` hear it (viewers do not);
the job-ref page lives in jobs/views.py, because voices must not import jobs."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dubsite.http import html_errors

from . import selectors
from .playback import VoiceDataLocked, wav_response

__all__ = ["ref_audio", "locked_page"]


def locked_page(request, exc: VoiceDataLocked):
    """The page for voice data no configured key opens: the reason, not a server error."""
    return render(request, "voices/locked.html", {"reason": exc.message}, status=exc.status)


@login_required
@require_GET
@html_errors
def ref_audio(request, ref_id: int):
    try:
        ref, data = selectors.voice_ref_audio(user=request.user, pk=ref_id)
    except VoiceDataLocked as exc:
        return locked_page(request, exc)
    return wav_response(data, f"{ref.character.code}-ref{ref.pk}.wav")
