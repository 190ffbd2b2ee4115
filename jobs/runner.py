"""Runs one job: claim → run passes → end SUCCEEDED / FAILED (readable reason) / ERRORED
(traceback in the job log) / CANCELLED. Idempotent: only a queued job is claimed, so a stale or
duplicate queue entry does nothing. Whatever ends the run, nothing of it is left `running`."""
from __future__ import annotations

import errno
import logging
import os
import threading
import traceback

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from media.errors import MediaError
from voices.jobrefs import forget_job_refs

from .events import JobEventHandler, emit, public
from .lifecycle import forget_deleted_job, release_workspace
from .liveness import worker_identity
from .models import EventLevel, Job, JobState, Pass, PassState, StageRun, StageState
from .pipeline import run_passes
from .stages import JobCancelled, JobFailure

__all__ = ["run_job", "environment_failure"]

log = logging.getLogger("jobs.runner")
_LOGGERS = ("jobs.pipeline", "media")
# errors of the machine, not of the job's input or our code: the job fails with a reason an
# operator can act on (free disk space, fix permissions) instead of erroring with a traceback
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EMFILE}


def environment_failure(exc: BaseException) -> str | None:
    """A readable reason when `exc` is the machine's fault (disk full, read-only, no permission)."""
    if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS:
        where = f" ({public(str(exc.filename))})" if exc.filename else ""
        return f"the server cannot write the job's files: {os.strerror(exc.errno)}{where}"
    return None


def _claim(job_id: int) -> Job | None:
    with transaction.atomic():
        job = Job.objects.select_for_update().select_related("episode__season__series").filter(pk=job_id).first()
        if job is None or job.state != JobState.QUEUED:
            # ended, or running in another worker (a lost worker's job is put back to queued by recovery)
            return None
        if job.cancel_requested:
            _end(job, JobState.CANCELLED, "cancelled before it started")
            return None
        resumed = job.recoveries > 0  # a lost worker's run goes on; a retry or a rerun starts anew
        job.state = JobState.RUNNING
        job.attempts += 1
        job.started = job.started or timezone.now()
        job.heartbeat = timezone.now()
        job.worker = worker_identity()
        job.error = ""
        job.save(update_fields=["state", "attempts", "started", "heartbeat", "worker", "error"])
    emit(job.pk, f"{'resumed' if resumed else 'started'} (attempt {job.attempts}, mode {job.mode}, "
                 f"two-pass {'on' if job.two_pass else 'off'})")
    return job


def _end(job: Job, state: str, error: str = "") -> None:
    """Write the job's end state and close whatever the run left open (a stage or pass that an
    exception interrupted). Row updates, not saves: a job deleted meanwhile is no crash."""
    now = timezone.now()
    error = public(error).replace("\x00", "")[:4000]
    StageRun.objects.filter(job_id=job.pk, state=StageState.RUNNING).update(
        state=StageState.FAILED, error=(error or f"job ended {state}")[:4000], finished=now)
    open_pass = PassState.CANCELLED if state == JobState.CANCELLED else PassState.FAILED
    Pass.objects.filter(job_id=job.pk, state=PassState.RUNNING).update(state=open_pass, error=error, finished=now)
    Pass.objects.filter(job_id=job.pk, state=PassState.PENDING).update(state=PassState.SKIPPED)
    fields = {"state": state, "error": error, "finished": now, "worker": ""}
    if state == JobState.SUCCEEDED:
        fields["cancel_requested"] = False  # a cancel that only stopped a later pass is spent
    Job.objects.filter(pk=job.pk).update(**fields)
    for key, value in fields.items():
        setattr(job, key, value)


def _end_safely(job: Job, state: str, error: str = "") -> None:
    """The end must be written even after a database error broke the worker's connection."""
    try:
        _end(job, state, error)
    except DatabaseError:
        log.exception("job %s: writing its end failed; retrying on a fresh connection", job.pk)
        if not connection.in_atomic_block:
            connection.close()
        _end(job, state, error)


class _Heartbeat(threading.Thread):
    """Refreshes job.heartbeat while a stage runs, so a dead worker can be told from a slow stage.
    Every RECOVER_EVERY_BEATS beats it also looks for other workers' lost jobs: the scheduled
    recovery task would wait behind this long job when every worker of the cluster is busy."""

    RECOVER_EVERY_BEATS = 6

    def __init__(self, job_id: int):
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.job_id, self.stop = job_id, threading.Event()

    def run(self) -> None:
        from .services import jobs_recover_stale

        beats = 0
        try:
            while not self.stop.wait(settings.DUBSITE_HEARTBEAT_SECONDS):
                beats += 1
                try:
                    Job.objects.filter(pk=self.job_id).update(heartbeat=timezone.now())
                    if beats % self.RECOVER_EVERY_BEATS == 0:
                        jobs_recover_stale()
                except DatabaseError as exc:  # a busy database must not stop the job; the next beat retries
                    log.warning("heartbeat of job %s not written: %s", self.job_id, exc)
        finally:
            connection.close()  # this thread's own connection


def _emit_safely(job: Job, message: str, **kw) -> None:
    try:
        emit(job.pk, message, **kw)
    except DatabaseError:  # the job row (and its log) may be gone: its series was deleted
        log.warning("job %s: event not written: %s", job.pk, message[:200])


def run_job(job_id: int, *, on_stage=None) -> str | None:
    """Run the job and return its final state (None when there was nothing to do)."""
    job = _claim(job_id)
    if job is None:
        return None
    beat = _Heartbeat(job.pk)
    if settings.DUBSITE_HEARTBEAT_SECONDS > 0:
        beat.start()
    handler = JobEventHandler(job.pk)
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    for lg in loggers:
        lg.addHandler(handler)
        if lg.level == logging.NOTSET or lg.level > logging.INFO:
            lg.setLevel(logging.INFO)
    try:
        notes = run_passes(job, on_stage=on_stage)
    except JobCancelled:
        _end_safely(job, JobState.CANCELLED, "cancelled by request")
        _emit_safely(job, "cancelled between stages", level=EventLevel.WARNING)
    except (JobFailure, MediaError) as exc:
        _end_safely(job, JobState.FAILED, str(exc))
        _emit_safely(job, f"failed: {exc}", level=EventLevel.ERROR, stage=job.current_stage)
    except Exception as exc:  # anything unexpected: keep the traceback for the team
        reason = environment_failure(exc)
        if reason:
            _end_safely(job, JobState.FAILED, reason)
            _emit_safely(job, f"failed: {reason}", level=EventLevel.ERROR, stage=job.current_stage)
        else:
            _end_safely(job, JobState.ERRORED, f"{exc.__class__.__name__}: {exc}")
            _emit_safely(job, "errored:\n" + traceback.format_exc(), level=EventLevel.ERROR, stage=job.current_stage)
            log.exception("job %s errored", job.pk)
    except BaseException:  # the worker is being stopped (SystemExit, KeyboardInterrupt): leave nothing open
        _end_safely(job, JobState.ERRORED, "the worker was stopped while the job ran; retry it")
        raise
    else:
        _end_safely(job, JobState.SUCCEEDED)
        _emit_safely(job, "succeeded" + (f" ({'; '.join(notes)})" if notes else ""))
    finally:
        beat.stop.set()
        for lg in loggers:
            lg.removeHandler(handler)
    if not Job.objects.filter(pk=job.pk).exists():
        # its series or episode was deleted by a cascade no guard could stop (the admin): what
        # the worker wrote after the delete goes too, and the task ends quietly
        log.warning("job %s was deleted while it ran; its worker stopped and removed what it had written", job.pk)
        forget_deleted_job(job.pk)
        return None
    _forget_private_refs(job)
    release_workspace(job)  # work folder: gone now, or kept a while after a failure
    return job.state


def _forget_private_refs(job: Job) -> None:
    """Privacy mode keeps no voice data beyond the job: its encrypted refs go as it ends (a
    later "Rerun pass 2" then speaks with pass 1's voices, and says so)."""
    try:
        if job.is_terminal and job.episode.season.series.privacy_mode:
            gone = forget_job_refs(job.pk)
            if gone:
                log.info("job %s: privacy mode, %d encrypted voice ref(s) deleted", job.pk, gone)
    except Exception:  # never hide the job's own outcome; `storage clean` is not needed for this
        log.exception("could not delete the voice refs of job %s", job.pk)
