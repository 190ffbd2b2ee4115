"""django-q2 task entry points: thin, ids only."""
from .runner import run_job as _run_job


def run_job(job_id: int) -> str | None:
    return _run_job(job_id)


def recover_stale_jobs() -> list[int]:
    """Scheduled every 5 minutes (see the migration that creates the schedule)."""
    from .services import jobs_recover_stale

    return jobs_recover_stale()
