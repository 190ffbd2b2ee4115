"""Job writes: submit, cancel, retry, rerun pass 2, re-identify, synthesize approved. Each audits
in its transaction and enqueues after commit."""
from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django_q.tasks import async_task

from dubsite import audit
from dubsite.errors import Conflict, Forbidden, Invalid
from dubsite.roles import has_perm, require
from review.models import Segment
from series.languages import LANGUAGES
from series.models import Episode, Mode

from .events import emit
from .liveness import stale_after, worker_is_dead
from .models import ACTIVE_STATES, RETRYABLE_STATES, Job, JobState, Pass, PassKind, PassState, StageRun, StageState
from .stages import default_kinds

__all__ = ["job_submit", "job_cancel", "job_retry", "job_rerun_pass2", "job_reidentify", "job_synthesize_approved",
           "jobs_recover_stale", "is_stale", "enqueue", "TWO_PASS_BY_MODE", "MAX_RECOVERIES"]

TWO_PASS_BY_MODE = {Mode.LOW: False, Mode.MEDIUM: False, Mode.HIGH: True}
# a job whose worker keeps dying (out of memory, the queue's timeout) is not re-queued forever
MAX_RECOVERIES = 3
BUSY = "already has a queued or running job"


def _busy(episode_id: int, exclude: int | None = None) -> Conflict:
    active = Job.objects.filter(episode_id=episode_id, state__in=ACTIVE_STATES).exclude(pk=exclude).first()
    which = f" (job {active.pk}, {active.state})" if active else ""
    return Conflict(f"this episode {BUSY}{which}", fields={"episode": "busy"})


def _save_active(job: Job, fields: list[str]) -> None:
    """Write a job into an active state; the database's one-active-job-per-episode constraint
    decides races between concurrent requests (a savepoint keeps the outer transaction usable)."""
    try:
        with transaction.atomic():
            if job.pk:
                job.save(update_fields=fields)
            else:
                job.save()
    except IntegrityError as exc:
        if not Job.objects.filter(episode_id=job.episode_id, state__in=ACTIVE_STATES).exclude(pk=job.pk).exists():
            raise  # some other constraint: not ours to explain
        raise _busy(job.episode_id, exclude=job.pk) from exc


def enqueue(job_id: int) -> None:
    """Queue the job for a worker. Called from on_commit so the worker sees committed rows."""
    task_id = async_task("jobs.tasks.run_job", job_id, task_name=f"job-{job_id}", group="jobs")
    Job.objects.filter(pk=job_id).update(task_id=str(task_id or ""))


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
            raise _busy(episode.pk)
        job = Job(episode=episode, mode=mode, two_pass=two_pass, target_language=target,
                  created_by=actor if getattr(actor, "is_authenticated", False) else None)
        _save_active(job, [])
        Pass.objects.bulk_create([Pass(job=job, number=n, kind=kind)
                                  for n, kind in enumerate(default_kinds(two_pass), start=1)])
        audit.record(actor, "job.submit", job, new={"episode": episode.pk, "mode": mode, "two_pass": two_pass,
                                                   "target_language": target}, context=context)
        if enqueue_task:
            transaction.on_commit(lambda: enqueue(job.pk))
    return job


def _has_dub(job: Job) -> bool:
    """The dub pass finished and its outputs are the job's: cancelling a later pass keeps them."""
    return bool(job.outputs) and job.passes.filter(kind=PassKind.DUB, state=PassState.SUCCEEDED).exists()


def job_cancel(*, actor, job: Job, context=None) -> Job:
    """Queued jobs end at once; running jobs stop at the next stage boundary. Cancelling a job
    that already has its dub (a queued "Rerun pass 2" or "Synthesize approved") cancels that
    pass only: the job stays succeeded with the outputs it had."""
    require(actor, "jobs.cancel_job", job)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.is_terminal:
            raise Conflict(f"job {job.pk} already ended ({job.state})", fields={"state": job.state})
        old = {"state": job.state}
        job.cancel_requested = True
        fields = ["cancel_requested"]
        if job.state == JobState.QUEUED:
            now = timezone.now()
            if _has_dub(job):
                job.state, job.error, job.finished, job.cancel_requested = JobState.SUCCEEDED, "", now, False
                job.passes.exclude(kind=PassKind.DUB).exclude(state=PassState.SUCCEEDED).update(
                    state=PassState.CANCELLED, error="cancelled by request before it started", finished=now)
                emit(job.pk, f"queued pass cancelled before it started; the pass-{job.outputs.get('pass', 1)} dub "
                             "stays", level="warning")
            else:
                job.state, job.error, job.finished = JobState.CANCELLED, "cancelled by request", now
                job.passes.filter(state=PassState.PENDING).update(state=PassState.SKIPPED)
            fields += ["state", "error", "finished"]
        job.save(update_fields=fields)
        audit.record(actor, "job.cancel", job, old=old, new={"state": job.state, "cancel_requested": job.cancel_requested},
                     context=context)
    return job


def is_stale(job: Job, now=None, limit: timedelta | None = None) -> bool:
    """A running job whose worker is gone: a dead process of this host, or a heartbeat silent
    for longer than the limit (derived from DUBSITE_HEARTBEAT_SECONDS)."""
    if job.state != JobState.RUNNING:
        return False
    if job.worker and worker_is_dead(job.worker):
        return True
    limit = limit if limit is not None else stale_after()
    if limit is None:  # heartbeats off: only a dead process of this host can be told
        return False
    beat = job.heartbeat or job.started
    return beat is None or (now or timezone.now()) - beat > limit


def _requeue_lost(job: Job, why: str) -> None:
    """The lost run's open stage and pass are closed; the job goes back to the queue and
    resumes at the stage that was interrupted (finished stages are skipped by fingerprint)."""
    now = timezone.now()
    stage = job.current_stage or "start-up"
    StageRun.objects.filter(job=job, state=StageState.RUNNING).update(
        state=StageState.FAILED, error="worker lost mid-stage", finished=now)
    if job.recoveries >= MAX_RECOVERIES:
        job.passes.filter(state=PassState.RUNNING).update(state=PassState.FAILED, error="worker lost", finished=now)
        job.passes.filter(state=PassState.PENDING).update(state=PassState.SKIPPED)
        job.state, job.finished, job.worker = JobState.FAILED, now, ""
        job.error = (f"the worker was lost {job.recoveries + 1} times while running this job (last during {stage}); "
                     "not re-queued again: look for out-of-memory kills or a queue timeout (DUBSITE_JOB_TIMEOUT), "
                     "then retry")
        job.save(update_fields=["state", "finished", "worker", "error"])
        emit(job.pk, f"{why}; {job.error}", level="error")
        audit.record(None, "job.recover", job, old={"state": JobState.RUNNING}, new={"state": job.state})
        return
    job.passes.filter(state=PassState.RUNNING).update(state=PassState.PENDING)
    job.state, job.worker, job.heartbeat = JobState.QUEUED, "", None
    job.recoveries += 1
    job.save(update_fields=["state", "worker", "heartbeat", "recoveries"])
    emit(job.pk, f"{why} during {stage}; re-queued to resume (recovery {job.recoveries} of {MAX_RECOVERIES})",
         level="warning")
    audit.record(None, "job.recover", job, old={"state": JobState.RUNNING}, new={"state": job.state, "requeued": True})
    transaction.on_commit(lambda pk=job.pk: enqueue(pk))


def jobs_recover_stale(*, stale_after: timedelta | None = None) -> list[int]:
    """Re-queue running jobs whose worker died: at once when it was a process of this host
    (a cluster starting here calls this), else once its heartbeat is stale. Runs on the
    schedule and whenever a django-q2 worker process starts."""
    now = timezone.now()
    recovered = []
    with transaction.atomic():
        for job in Job.objects.select_for_update().filter(state=JobState.RUNNING).order_by("pk"):
            if job.worker and worker_is_dead(job.worker):
                why = "worker process gone (seen on its host)"
            elif is_stale(job, now, stale_after):
                why = f"worker lost (no heartbeat since {job.heartbeat or job.started:%H:%M:%S})"
            else:
                continue
            _requeue_lost(job, why)
            recovered.append(job.pk)
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
        old = {"state": job.state, "error": job.error}
        if job.state == JobState.RUNNING:  # a lost worker's job: close what it left open
            StageRun.objects.filter(job=job, state=StageState.RUNNING).update(
                state=StageState.FAILED, error="worker lost mid-stage", finished=timezone.now())
        job.state, job.error, job.cancel_requested, job.finished = JobState.QUEUED, "", False, None
        job.recoveries, job.worker = 0, ""
        _save_active(job, ["state", "error", "cancel_requested", "finished", "recoveries", "worker"])
        job.passes.exclude(state=PassState.SUCCEEDED).update(state=PassState.PENDING, error="")
        audit.record(actor, "job.retry", job, old=old, new={"state": job.state}, context=context)
        if enqueue_task:
            transaction.on_commit(lambda: enqueue(job.pk))
    return job


def job_rerun_pass2(*, actor, job: Job, context=None, enqueue_task: bool = True) -> Job:
    """Re-voice a finished job with clones (or matched presets) after refs or voices changed:
    the dub pass is kept; the clone pass (pass 2, or a new pass after the last when pass 2 is
    taken by another kind) reruns tts → mix → mux (stages whose inputs did not change are skipped)."""
    require(actor, "jobs.rerun_pass2", job)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state != JobState.SUCCEEDED:
            raise Conflict(f"pass 2 needs a finished pass 1 (job {job.pk} is {job.state})", fields={"state": job.state})
        if not job.passes.filter(kind=PassKind.DUB, state=PassState.SUCCEEDED).exists():
            raise Conflict("pass 1 did not finish", fields={"pass": "1"})
        old = {"state": job.state, "two_pass": job.two_pass}
        job.two_pass, job.state, job.error, job.cancel_requested, job.finished = True, JobState.QUEUED, "", False, None
        job.recoveries, job.worker = 0, ""
        _save_active(job, ["two_pass", "state", "error", "cancel_requested", "finished", "recoveries", "worker"])
        clone = job.passes.filter(kind=PassKind.CLONE).order_by("number").first()
        if clone is None:
            clone = Pass(job=job, number=_next_pass_number(job), kind=PassKind.CLONE)
        clone.state, clone.error = PassState.PENDING, ""
        clone.save()
        audit.record(actor, "job.rerun_pass2", job, old=old, new={"state": job.state, "two_pass": True},
                     context=context)
        if enqueue_task:
            transaction.on_commit(lambda: enqueue(job.pk))
    return job


def _next_pass_number(job: Job) -> int:
    return (job.passes.aggregate(top=Max("number"))["top"] or 0) + 1


REIDENTIFY_PERMS = ("voices.assign_episodespeaker", "jobs.retry_job")


def job_reidentify(*, actor, job: Job, context=None, enqueue_task: bool = True) -> Job:
    """Run a finished job again from identify, so its lines and voices follow the speakers as people
    assigned them: every dub and clone pass goes back to pending (synthesize-approved passes stay
    done); stages whose fingerprints did not change (extract → refs) resume from their outputs,
    identify (its fingerprint includes the assignments) and every stage after it run again.
    Editors (who assign speakers) and operators (who retry jobs) may."""
    require(actor, "jobs.view_job", job)
    if not any(has_perm(actor, perm, job) for perm in REIDENTIFY_PERMS):
        raise Forbidden(f"you lack the permission {' or '.join(REIDENTIFY_PERMS)}")
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state in ACTIVE_STATES:
            raise Conflict(f"job {job.pk} is {job.state}; re-run from identify once it has ended",
                           fields={"state": job.state})
        old = {"state": job.state, "error": job.error}
        job.state, job.error, job.cancel_requested, job.finished = JobState.QUEUED, "", False, None
        job.recoveries, job.worker = 0, ""
        _save_active(job, ["state", "error", "cancel_requested", "finished", "recoveries", "worker"])
        # a succeeded pass with all its outputs would be skipped whole (pipeline.run_passes); resynth
        # passes stay as they are: the dub and clone passes speak every line from its current text
        job.passes.exclude(kind=PassKind.RESYNTH).update(state=PassState.PENDING, error="", started=None,
                                                         finished=None)
        audit.record(actor, "job.reidentify", job, old=old, new={"state": job.state}, context=context)
        if enqueue_task:
            transaction.on_commit(lambda: enqueue(job.pk))
    return job


def job_synthesize_approved(*, actor, job: Job, context=None, enqueue_task: bool = True) -> Job:
    """Speak the editors' approved and locked lines into the dub: a new resynth pass runs tts →
    mix → mux from the lines' current text and stored voice plans (never ASR or translation),
    re-synthesizing only lines whose text, voice or timing changed; mux swaps the outputs at the
    end, so a failure keeps the dub the job had."""
    require(actor, "jobs.synthesize_job", job)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.state != JobState.SUCCEEDED or not _has_dub(job):
            raise Conflict(f"synthesize approved needs a finished dub (job {job.pk} is {job.state})",
                           fields={"state": job.state})
        if Job.objects.filter(episode_id=job.episode_id, state__in=ACTIVE_STATES).exists():
            raise _busy(job.episode_id, exclude=job.pk)
        ready = Segment.objects.filter(job_id=job.pk).filter(Q(approved=True) | Q(locked=True)).count()
        if not ready:
            raise Conflict("no approved or locked lines to synthesize: approve the lines you edited first",
                           fields={"lines": "none approved"})
        old = {"state": job.state, "outputs_pass": job.outputs.get("pass")}
        number = _next_pass_number(job)
        job.state, job.error, job.cancel_requested, job.finished = JobState.QUEUED, "", False, None
        job.recoveries, job.worker = 0, ""
        _save_active(job, ["state", "error", "cancel_requested", "finished", "recoveries", "worker"])
        Pass.objects.create(job=job, number=number, kind=PassKind.RESYNTH)
        audit.record(actor, "job.synthesize_approved", job, old=old,
                     new={"state": job.state, "pass": number, "lines_ready": ready}, context=context)
        emit(job.pk, f"synthesize approved queued as pass {number} ({ready} approved or locked line(s))")
        if enqueue_task:
            transaction.on_commit(lambda: enqueue(job.pk))
    return job
