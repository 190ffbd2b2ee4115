"""Job reads restricted to the requesting user."""
from __future__ import annotations

from django.db.models import QuerySet

from dubsite.errors import NotFound
from dubsite.roles import require

from .models import Job


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
