"""django-q2 task entry points: thin, ids only."""
from .runner import run_job as _run_job


def run_job(job_id: int) -> str | None:
    return _run_job(job_id)


def recover_stale_jobs() -> list[int]:
    """Scheduled every minute (migrations 0004 and 0007); worker start-up and busy heartbeats also call it."""
    from .services import jobs_recover_stale

    return jobs_recover_stale()


def release_expired_workspaces() -> int:
    """Scheduled every hour: work folders of failed jobs past DUBSITE_KEEP_FAILED_WORK_HOURS, and of
    jobs that no longer exist, are removed (see the migration that creates the schedule)."""
    from .lifecycle import workspaces_clean

    return len(workspaces_clean())
