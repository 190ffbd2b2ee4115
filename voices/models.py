"""Series-level voice data. A character's reference clip outlives the job that found it, so a
later pass 2 (or another episode) can clone the character when its own job has no usable ref."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class VoiceRef(models.Model):
    """One encrypted reference clip of a character; the newest is the one used."""

    class Source(models.TextChoices):
        JOB = "job", "extracted by a job"
        UPLOAD = "upload", "uploaded by an editor"

    character = models.ForeignKey("series.Character", on_delete=models.CASCADE, related_name="voice_refs")
    blob = models.CharField(max_length=300, help_text="Storage name of the Fernet-encrypted WAV.")
    blob_bytes = models.BigIntegerField(default=0, help_text="Size of the encrypted blob in storage.")
    seconds = models.FloatField()
    sample_rate = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, help_text="Of the plaintext WAV: tells a changed ref apart.")
    source = models.CharField(max_length=8, choices=Source.choices)
    source_job_id = models.IntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["character", "-created"])]

    def __str__(self) -> str:
        return f"{self.character.code} ref {self.seconds:.1f} s ({self.source})"
