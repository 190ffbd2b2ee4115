"""Job writes: submit, cancel, retry. Each audits in its transaction and enqueues after commit."""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from dubsite import audit
from dubsite.errors import Conflict, Invalid
from dubsite.roles import require
from series.languages import LANGUAGES
from series.models import Episode, Mode

from .events import emit
from .models import ACTIVE_STATES, RETRYABLE_STATES, Job, JobState, Pass, PassState

__all__ = ["job_submit", "job_cancel", "job_retry", "job_rerun_pass2", "jobs_recover_stale", "is_stale", "enqueue",
           "TWO_PASS_BY_MODE"]

TWO_PASS_BY_MODE = {Mode.LOW: False, Mode.MEDIUM: False, Mode.HIGH: True}


def enqueue(job_id: int) -> None:
    """Queue the job for a worker. Called from on_commit so the worker sees committed rows."""
    task_id = async_task("jobs.tasks.run_job", job_id, task_name=f"job-{job_id}", group="jobs")
    Job.objects.filter(pk=job_id).update(task_id=str(task_id or ""))


def _passes_for(job: Job) -> list[int]:
    return [1, 2] if job.two_pass else [1]


def job_submit(*, actor, episode: Episode, mode: str | None = None, two_pass: bool | None = None,
               target_language: str | None = None, context=None, enqueue_task: bool = True) -> Job:
    require(actor, "jobs.add_job", episode)
    series = episode.season.series
    mode = mode or series.default_mode
    if mode not in Mode.values:
        raise Invalid(f"unknown mode {mode!r}", fields={"mode": f"one of {', '.join(Mode.values)}"})
    target = target_language or series.target_language
    if target not in LANGUAGES:
        raise Invalid(f"unknown target language {target!r}", fields={"target_language": "unknown language code"})
    if two_pass is None:
        two_pass = TWO_PASS_BY_MODE[Mode(mode)]
    with transaction.atomic():
        if Job.objects.filter(episode=episode, state__in=ACTIVE_STATES).exists():
            raise Conflict(f"{episode} already has a queued or running job", fields={"episode": "busy"})
        job = Job.objects.create(episode=episode, mode=mode, two_pass=two_pass, target_language=target,
                                 created_by=actor if getattr(actor, "is_authenticated", False) else None)
        Pass.objects.bulk_create([Pass(job=job, number=n) for n in _passes_for(job)])
        audit.record(actor, "job.submit", job, new={"episode": episode.pk, "mode": mode, "two_pass": two_pass,
                                                   "target_language": target}, context=context)
        if enqueue_task:
            transaction.on_commit(lambda: enqueue(job.pk))
    return job


def job_cancel(*, actor, job: Job, context=None) -> Job:
    """Queued jobs end at once; running jobs stop at the next stage boundary."""
    require(actor, "jobs.cancel_job", job)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.is_terminal:
            raise Conflict(f"job {job.pk} already ended ({job.state})", fields={"state": job.state})
        old = {"state": job.state}
        job.cancel_requested = True
        fields = ["cancel_requested"]
        if job.state == JobState.QUEUED:
            from django.utils import timezone

            job.state, job.error, job.finished = JobState.CANCELLED, "cancelled by request", timezone.now()
            job.passes.filter(state=PassState.PENDING).update(state=PassState.SKIPPED)
            fields += ["state", "error", "finished"]
        job.save(update_fields=fields)
        audit.record(actor, "job.cancel", job, old=old, new={"state": job.state, "cancel_requested": True},
                     context=context)
    return job


STALE_AFTER = timedelta(seconds=120)  # twelve missed heartbeats


def is_stale(job: Job, now=None) -> bool:
    """A running job whose worker stopped refreshing its heartbeat (killed, machine lost)."""
    now = now or timezone.now()
    beat = job.heartbeat or job.started
    return job.state == JobState.RUNNING and (beat is None or now - beat > STALE_AFTER)


def jobs_recover_stale(*, stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Re-queue running jobs whose worker died; they resume at the stage that was interrupted."""
    cutoff = timezone.now() - stale_after
    recovered = []
    with transaction.atomic():
        for job in Job.objects.select_for_update().filter(state=JobState.RUNNING).filter(
                Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True, started__lt=cutoff)):
            emit(job.pk, f"worker lost during {job.current_stage or 'start-up'} (no heartbeat since "
                         f"{job.heartbeat or job.started:%H:%M:%S}); re-queued to resume", level="warning")
            audit.record(None, "job.recover", job, old={"state": job.state}, new={"requeued": True})
            recovered.append(job.pk)
            transaction.on_commit(lambda pk=job.pk: enqueue(pk))
    return recovered


def job_retry(*, actor, job: Job, context=None, enqueue_task: bool = True) -> Job:
    """Re-queue a failed/errored/cancelled job (or a running one whose worker died); finished
    stages are skipped by their fingerprints."""
    require(actor, "jobs.retry_job", job)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state not in RETRYABLE_STATES and not is_stale(job):
            raise Conflict(f"only failed, errored or cancelled jobs can be retried (job {job.pk} is {job.state})",
                           fields={"state": job.state})
        if Job.objects.filter(episode_id=job.episode_id, state__in=ACTIVE_STATES).exclude(pk=job.pk).exists():
            raise Conflict("another job of this episode is queued or running", fields={"episode": "busy"})
        old = {"state": job.state, "error": job.error}
        job.state, job.error, job.cancel_requested, job.finished = JobState.QUEUED, "", False, None
        job.save(update_fields=["state", "error", "cancel_requested", "finished"])
        job.passes.exclude(state=PassState.SUCCEEDED).update(state=PassState.PENDING, error="")
        audit.record(actor, "job.retry", job, old=old, new={"state": job.state}, context=context)
        if enqueue_task:
            transaction.on_commit(lambda: enqueue(job.pk))
    return job


def job_rerun_pass2(*, actor, job: Job, context=None, enqueue_task: bool = True) -> Job:
    """Re-voice a finished job with clones (or matched presets) after refs or voices changed:
    pass 1 is kept; pass 2 reruns tts → mix → mux (stages whose inputs did not change are skipped)."""
    require(actor, "jobs.rerun_pass2", job)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state != JobState.SUCCEEDED:
            raise Conflict(f"pass 2 needs a finished pass 1 (job {job.pk} is {job.state})", fields={"state": job.state})
        if not job.passes.filter(number=1, state=PassState.SUCCEEDED).exists():
            raise Conflict("pass 1 did not finish", fields={"pass": "1"})
        if Job.objects.filter(episode_id=job.episode_id, state__in=ACTIVE_STATES).exclude(pk=job.pk).exists():
            raise Conflict("another job of this episode is queued or running", fields={"episode": "busy"})
        old = {"state": job.state, "two_pass": job.two_pass}
        job.two_pass, job.state, job.error, job.cancel_requested, job.finished = True, JobState.QUEUED, "", False, None
        job.save(update_fields=["two_pass", "state", "error", "cancel_requested", "finished"])
        Pass.objects.update_or_create(job=job, number=2, defaults={"state": PassState.PENDING, "error": ""})
        audit.record(actor, "job.rerun_pass2", job, old=old, new={"state": job.state, "two_pass": True},
                     context=context)
        if enqueue_task:
            transaction.on_commit(lambda: enqueue(job.pk))
    return job
