"""A job's speakers (EpisodeSpeaker rows) as the job page and the API show them, and the job-side
half of "enroll this ref": finding the label's ref among the refs stage's outputs."""
from __future__ import annotations

from django.db.models import QuerySet

from dubsite.errors import Conflict, NotFound
from dubsite.roles import require
from voices.models import EpisodeSpeaker
from voices.models import VoiceRef
from voices.speakers import voice_ref_enroll

from .artifacts import Workspace
from .models import Job, StageRun, StageState

__all__ = ["speaker_list", "speaker_get", "job_refs", "job_ref_name", "job_speaker_enroll"]


def speaker_list(*, user, job: Job) -> QuerySet[EpisodeSpeaker]:
    require(user, "voices.view_episodespeaker", job)
    return (EpisodeSpeaker.objects.filter(job_id=job.pk)
            .select_related("character", "character__merged_into", "assigned_by").order_by("label"))


def speaker_get(*, user, job: Job, label: str) -> EpisodeSpeaker:
    speaker = speaker_list(user=user, job=job).filter(label=label).select_related("episode__season__series").first()
    if speaker is None:
        raise NotFound(f"job {job.pk} has no speaker {label!r}")
    return speaker


def job_refs(job: Job) -> dict[str, dict]:
    """The refs stage's entry per label ({"path", "clone_path", "seconds", …}) of its latest
    successful run; empty before that stage."""
    run = (StageRun.objects.filter(job=job, name="refs", state=StageState.SUCCEEDED)
           .order_by("-finished", "-id").only("outputs").first())
    return (run.outputs.get("speakers") or {}) if run else {}


def job_ref_name(job: Job, label: str, refs: dict | None = None) -> str | None:
    """The workspace-relative name of the label's ref (the clone copy when there is one: it is what
    cloning reads), or None."""
    ref = (job_refs(job) if refs is None else refs).get(label) or {}
    return ref.get("clone_path") or ref.get("path")


def job_speaker_enroll(*, actor, job: Job, label: str, context=None) -> VoiceRef:
    """Keep the job's ref of `label` as its character's series ref (voices.voice_ref_enroll)."""
    speaker = speaker_get(user=actor, job=job, label=label)
    require(actor, "voices.add_voiceref", speaker)
    rel = job_ref_name(job, label)
    if rel is None:
        raise Conflict(f"job {job.pk} kept no ref for {label}", fields={"label": "no ref"})
    workspace = Workspace(job.pk)
    had_folder = workspace.root.exists()
    try:
        return voice_ref_enroll(actor=actor, speaker=speaker, workspace=workspace, rel=rel, context=context)
    finally:
        if not had_folder:  # a finished job's work folder is gone; do not leave a new one behind
            workspace.remove()
