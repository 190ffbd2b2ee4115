"""Job reads restricted to the requesting user."""
from __future__ import annotations

from django.db.models import QuerySet

from dubsite.errors import NotFound
from dubsite.roles import require

from voices.jobrefs import stored_name
from voices.playback import read_encrypted

from .artifacts import storage_name
from .models import Job
from .speakers import job_refs


def job_list(*, user, episode_id: int | None = None, state: str | None = None) -> QuerySet[Job]:
    require(user, "jobs.view_job")
    qs = Job.objects.select_related("episode__season__series", "created_by")
    if episode_id:
        qs = qs.filter(episode_id=episode_id)
    if state:
        qs = qs.filter(state=state)
    return qs


def job_get(*, user, pk: int) -> Job:
    require(user, "jobs.view_job")
    job = Job.objects.select_related("episode__season__series", "created_by").filter(pk=pk).first()
    if job is None:
        raise NotFound(f"no job {pk}")
    return job


def job_ref_audio(*, user, pk: int, label: str, clone: bool = False) -> tuple[Job, bytes]:
    """The decrypted ref WAV of one diarization label of a job (`clone`: the 22.05 kHz copy made
    for cloning), for a user who may see the job and hear voice data. Read from the encrypted
    copy in storage only: a plaintext copy (a job from before refs were encrypted) is not served."""
    job = job_get(user=user, pk=pk)
    require(user, "voices.view_voiceref", job)
    rel = (job_refs(job).get(label) or {}).get("clone_path" if clone else "path")
    if not rel:
        raise NotFound(f"job {pk} has no {'clone ' if clone else ''}ref for speaker {label[:40]}")
    return job, read_encrypted(storage_name(job.pk, stored_name(rel)))
