from django.apps import AppConfig
from django.db.models.signals import post_delete


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        from series.hooks import register_delete_guard, register_usage_provider

        from .lifecycle import active_jobs_guard, delete_job_files, job_disk_usage
        from .models import Job

        post_delete.connect(delete_job_files, sender=Job, dispatch_uid="jobs.job_files")
        register_delete_guard(active_jobs_guard)  # no series delete while its jobs run
        register_usage_provider(job_disk_usage)
