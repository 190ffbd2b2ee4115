import logging

from django.apps import AppConfig
from django.db.models.signals import post_delete

log = logging.getLogger("jobs.recovery")


def _recover_on_spawn(sender=None, proc_name: str = "", **kwargs) -> None:
    """A django-q2 worker process has started (a cluster starting, or a worker respawned after
    it died): jobs whose worker process on this host is gone resume now, not minutes later."""
    from django.db import DatabaseError, connection

    from .services import jobs_recover_stale

    try:
        recovered = jobs_recover_stale()
    except DatabaseError as exc:  # e.g. migrations not applied yet: the schedule retries later
        log.warning("job recovery at worker start-up skipped: %s", exc)
        return
    finally:
        connection.close()  # the worker opens its own connection for its tasks
    if recovered:
        log.warning("%s: re-queued jobs of a lost worker: %s", proc_name, recovered)


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from series.hooks import register_delete_guard, register_usage_provider

        from .lifecycle import active_jobs_guard, delete_job_files, job_disk_usage
        from .models import Job

        post_delete.connect(delete_job_files, sender=Job, dispatch_uid="jobs.job_files")
        register_delete_guard(active_jobs_guard)  # no series delete while its jobs run
        register_usage_provider(job_disk_usage)
        post_spawn.connect(_recover_on_spawn, dispatch_uid="jobs.recover_on_spawn")
