"""Lines of a dub: the source of truth editors review, with every revision kept."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from series.models import Character, Episode


class Segment(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="segments")
    # The job that produced the line. A plain id keeps `review` below `jobs` in the import order.
    job_id = models.BigIntegerField(db_index=True)
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    diar_label = models.CharField(max_length=32, blank=True)
    character = models.ForeignKey(Character, null=True, blank=True, on_delete=models.SET_NULL, related_name="segments")
    source_text = models.TextField(blank=True)
    target_text = models.TextField(blank=True)
    approved = models.BooleanField(default=False)
    locked = models.BooleanField(default=False, help_text="Never overwritten by MT; TTS speaks this text.")
    flags = models.JSONField(default=list, blank=True, help_text="e.g. needs_translation, overrun, low_confidence")
    version = models.PositiveIntegerField(default=1, help_text="Optimistic concurrency: a stale save is refused.")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["job_id", "index"]
        constraints = [models.UniqueConstraint(fields=["job_id", "index"], name="uniq_segment_index")]
        permissions = [
            ("approve_segment", "Can approve a line"),
            ("lock_segment", "Can lock a line"),
            ("regenerate_segment", "Can regenerate a line's audio"),
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.start:.2f}-{self.end:.2f} {self.target_text[:40]}"


class SegmentRevision(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    time = models.DateTimeField(auto_now_add=True)
    source_text = models.TextField(blank=True)
    target_text = models.TextField(blank=True)
    approved = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["segment", "version"]
        constraints = [models.UniqueConstraint(fields=["segment", "version"], name="uniq_revision_version")]
