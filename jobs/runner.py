"""Runs one job: claim → run passes → end SUCCEEDED / FAILED (readable reason) / ERRORED
(traceback in the job log) / CANCELLED. Idempotent: a job already terminal is left alone."""
from __future__ import annotations

import logging
import threading
import traceback

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from media.errors import MediaError

from .events import JobEventHandler, emit, public
from .lifecycle import release_workspace
from .models import EventLevel, Job, JobState, PassState, StageState, TERMINAL_STATES
from .pipeline import run_passes
from .stages import JobCancelled, JobFailure

__all__ = ["run_job"]

log = logging.getLogger("jobs.runner")
_LOGGERS = ("jobs.pipeline", "media")


def _claim(job_id: int) -> Job | None:
    with transaction.atomic():
        job = Job.objects.select_for_update().select_related("episode__season__series").filter(pk=job_id).first()
        if job is None or job.state in TERMINAL_STATES:
            return None
        if job.cancel_requested:
            _end(job, JobState.CANCELLED, "cancelled before it started")
            return None
        resumed = job.state == JobState.RUNNING  # the previous worker died mid-run
        job.state = JobState.RUNNING
        job.attempts += 1
        job.started = job.started or timezone.now()
        job.heartbeat = timezone.now()
        job.error = ""
        job.save(update_fields=["state", "attempts", "started", "heartbeat", "error"])
        if resumed:  # the stage that was running when the worker died did not finish
            job.stage_runs.filter(state=StageState.RUNNING).update(
                state=StageState.FAILED, error="worker lost mid-stage", finished=timezone.now())
    emit(job.pk, f"{'resumed' if resumed else 'started'} (attempt {job.attempts}, mode {job.mode}, "
                 f"two-pass {'on' if job.two_pass else 'off'})")
    return job


def _end(job: Job, state: str, error: str = "") -> None:
    job.state, job.error, job.finished = state, public(error), timezone.now()
    if state == JobState.CANCELLED:
        job.passes.filter(state__in=[PassState.PENDING, PassState.RUNNING]).update(state=PassState.SKIPPED)
    job.save(update_fields=["state", "error", "finished"])




class _Heartbeat(threading.Thread):
    """Refreshes job.heartbeat while a stage runs, so a dead worker can be told from a slow stage."""

    def __init__(self, job_id: int):
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.job_id, self.stop = job_id, threading.Event()

    def run(self) -> None:
        from django.db import DatabaseError, connection

        try:
            while not self.stop.wait(settings.DUBSITE_HEARTBEAT_SECONDS):
                try:
                    Job.objects.filter(pk=self.job_id).update(heartbeat=timezone.now())
                except DatabaseError as exc:  # a busy database must not stop the job; the next beat retries
                    log.warning("heartbeat of job %s not written: %s", self.job_id, exc)
        finally:
            connection.close()  # this thread's own connection


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
        run_passes(job, on_stage=on_stage)
    except JobCancelled:
        _end(job, JobState.CANCELLED, "cancelled by request")
        emit(job.pk, "cancelled between stages", level=EventLevel.WARNING)
    except (JobFailure, MediaError) as exc:
        _end(job, JobState.FAILED, str(exc))
        emit(job.pk, f"failed: {exc}", level=EventLevel.ERROR, stage=job.current_stage)
    except Exception as exc:  # anything unexpected: keep the traceback for the team
        _end(job, JobState.ERRORED, f"{exc.__class__.__name__}: {exc}")
        emit(job.pk, "errored:\n" + traceback.format_exc(), level=EventLevel.ERROR, stage=job.current_stage)
        log.exception("job %s errored", job.pk)
    else:
        _end(job, JobState.SUCCEEDED)
        emit(job.pk, "succeeded")
    finally:
        beat.stop.set()
        for lg in loggers:
            lg.removeHandler(handler)
        release_workspace(job)  # work folder: gone now, or kept a while after a failure
    return job.state
