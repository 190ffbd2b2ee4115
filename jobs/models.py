"""Job state lives here (not in django-q2's Task table): jobs, passes, stage runs, events."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dubsite.jsonsafe import FiniteJSONEncoder

from series.models import Episode, Mode


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ERRORED = "errored", "Errored"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.ERRORED, JobState.CANCELLED})
ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING})
RETRYABLE_STATES = frozenset({JobState.FAILED, JobState.ERRORED, JobState.CANCELLED})


class Job(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="jobs")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.MEDIUM)
    two_pass = models.BooleanField(default=False, help_text="Pass 2 re-voices every speaker with a clone of their ref.")
    target_language = models.CharField(max_length=8, default="en")
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0, help_text="0..1 over all stages of all passes.")
    current_stage = models.CharField(max_length=32, blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Readable reason when failed/errored.")
    task_id = models.CharField(max_length=64, blank=True, help_text="Last django-q2 task id.")
    outputs = models.JSONField(default=dict, blank=True, encoder=FiniteJSONEncoder,
                               help_text="The final artifacts (storage names) of the pass that produced them; "
                                         "swapped in one update when pass 2 succeeds.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True,
                                     help_text="Refreshed by the worker while it runs; a stale one means the worker died.")
    recoveries = models.PositiveSmallIntegerField(
        default=0, help_text="Times a lost worker's run was re-queued automatically since the last submit/retry.")
    worker = models.CharField(max_length=200, blank=True,
                              help_text="host:pid:start-time of the process running the job, so a cluster starting "
                                        "on that host can tell at once that it died.")
    # Disk use, measured when the job ends (jobs/lifecycle.py), so pages sum it without listing storage.
    stored_bytes = models.BigIntegerField(default=0, help_text="Bytes of jobs/<id>/ in storage when the job ended.")
    stored_files = models.PositiveIntegerField(default=0,
                                               help_text="Files of jobs/<id>/ in storage when the job ended.")
    work_bytes = models.BigIntegerField(default=0, help_text="Bytes of its local work folder still on disk "
                                                             "(kept a while after a failure; 0 once removed).")

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            # the one place that makes "one queued or running job per episode" true under
            # concurrent submits (a check-then-insert in Python is not atomic)
            models.UniqueConstraint(fields=["episode"], condition=Q(state__in=sorted(ACTIVE_STATES)),
                                    name="one_active_job_per_episode"),
        ]
        permissions = [
            ("cancel_job", "Can cancel a job"),
            ("retry_job", "Can retry a job"),
            ("rerun_pass2", "Can rerun pass 2 of a job"),
            ("synthesize_job", "Can synthesize a job's approved lines"),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.episode}, {self.state})"

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


class PassState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class PassKind(models.TextChoices):
    DUB = "dub", "Analysis + dub"
    CLONE = "clone", "Clone voices"
    RESYNTH = "resynth", "Synthesize approved"


class Pass(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="passes")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=PassKind.choices, default=PassKind.DUB)
    state = models.CharField(max_length=10, choices=PassState.choices, default=PassState.PENDING)
    error = models.TextField(blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "number"]
        verbose_name_plural = "passes"
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="uniq_pass_number")]

    def __str__(self) -> str:
        return f"pass {self.number} of job {self.job_id} ({self.state})"


class StageState(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (resumed)"


class StageRun(models.Model):
    """One execution of one stage. A finished run with the same fingerprint lets resume skip it."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="stage_runs")
    pass_obj = models.ForeignKey(Pass, on_delete=models.CASCADE, related_name="stage_runs", db_column="pass_id")
    name = models.CharField(max_length=32)
    state = models.CharField(max_length=10, choices=StageState.choices, default=StageState.RUNNING)
    fingerprint = models.CharField(max_length=64, db_index=True)
    outputs = models.JSONField(default=dict, blank=True, encoder=FiniteJSONEncoder)
    engines = models.JSONField(default=dict, blank=True, encoder=FiniteJSONEncoder, help_text="Engine decisions and skip reasons.")
    error = models.TextField(blank=True)
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")

    class Meta:
        ordering = ["job", "started", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"


class EventLevel(models.TextChoices):
    DEBUG = "debug", "Debug"
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class JobEvent(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    time = models.DateTimeField(auto_now_add=True, db_index=True)
    level = models.CharField(max_length=8, choices=EventLevel.choices, default=EventLevel.INFO)
    stage = models.CharField(max_length=32, blank=True)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True, encoder=FiniteJSONEncoder)

    class Meta:
        ordering = ["time", "id"]

    def __str__(self) -> str:
        return f"[{self.level}] {self.stage}: {self.message[:80]}"
