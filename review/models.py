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
    # How the full pass spoke this line, so one line can be spoken again exactly the same way:
    # {"character", "voice" (VoiceSpec key), "source" (preset|saved|extracted_ref|series_ref|
    # matched_preset), "ref" (job ref name for cloning, or ""), "clone", "engine" (provider that
    # spoke it), "speed" (time-stretch the fit applied), "clip" (storage name of the fitted clip
    # in the dub), "clip_key" (hash of text + voice + timing the clip was made from), "pass"}.
    voice_plan = models.JSONField(default=dict, blank=True)
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


class Take(models.Model):
    """One synthesis of one line (Regenerate): kept so editors can compare A/B and choose which
    the dub uses. At most one chosen take per line; none chosen means the pass's own clip."""
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="takes")
    number = models.PositiveIntegerField()
    text = models.TextField()
    voice_plan = models.JSONField(default=dict, blank=True)
    audio = models.CharField(max_length=300, help_text="Storage name of the fitted clip.")
    duration = models.FloatField(default=0.0)
    speed = models.FloatField(default=1.0, help_text="Time-stretch applied to fit the slot.")
    provider = models.CharField(max_length=32, blank=True)
    chosen = models.BooleanField(default=False)
    seconds = models.FloatField(default=0.0, help_text="Time from request to playable clip.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["segment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "number"], name="uniq_take_number"),
            models.UniqueConstraint(fields=["segment"], condition=models.Q(chosen=True), name="one_chosen_take"),
        ]

    def __str__(self) -> str:
        return f"take {self.number} of line {self.segment_id}"
