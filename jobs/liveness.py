"""Is the worker of a running job alive? Two ways to tell, and how long each takes.

- Same host: a job records `host:pid:start-time` of the process that claimed it. A cluster that
  starts (or a worker that is respawned) on that host sees at once that the process is gone,
  even if the pid was reused since (the start time differs).
- Any host: the worker refreshes `Job.heartbeat` every DUBSITE_HEARTBEAT_SECONDS; a job silent
  for STALE_BEATS beats counts as lost. Many beats, because a false "lost" would run one job
  twice. It is found by the scheduled recovery (every RECOVER_EVERY_MINUTES, when a worker is
  free) or by any running job's heartbeat thread (every 6 beats, when all workers are busy),
  whichever comes first; the worst case adds the schedule's delay on top.
"""
from __future__ import annotations

import os
import socket
from datetime import timedelta

import psutil
from django.conf import settings

__all__ = ["STALE_BEATS", "RECOVER_EVERY_MINUTES", "SCHEDULER_GRANULARITY", "worker_identity", "worker_is_dead",
           "stale_after", "worst_case_detection"]

STALE_BEATS = 12
RECOVER_EVERY_MINUTES = 1  # the django-q2 schedule of jobs.tasks.recover_stale_jobs (migration 0005)
SCHEDULER_GRANULARITY = 30  # seconds: django-q2's guard runs due schedules about twice a minute


def worker_identity(pid: int | None = None) -> str:
    pid = pid or os.getpid()
    try:
        started = int(psutil.Process(pid).create_time())
    except psutil.Error:
        started = 0
    return f"{socket.gethostname()}:{pid}:{started}"


def worker_is_dead(identity: str) -> bool:
    """True only when the identity names a process of *this* host that no longer runs."""
    host, _, rest = (identity or "").partition(":")
    pid_text, _, started = rest.partition(":")
    if not host or host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's worker (or unknown): only its heartbeat can tell
    try:
        process = psutil.Process(int(pid_text))
        # a killed worker whose parent died too may linger as a zombie until someone reaps it
        return int(process.create_time()) != int(started or 0) or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


def stale_after() -> timedelta | None:
    """How long a silent heartbeat means a lost worker; None when heartbeats are off."""
    beat = float(settings.DUBSITE_HEARTBEAT_SECONDS)
    return timedelta(seconds=STALE_BEATS * beat) if beat > 0 else None


def worst_case_detection() -> float | None:
    """Seconds from a worker's death to its job being re-queued, when no cluster restarts on its host."""
    limit = stale_after()
    if limit is None:
        return None
    return limit.total_seconds() + RECOVER_EVERY_MINUTES * 60 + SCHEDULER_GRANULARITY
