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


class CharacterEmbedding(models.Model):
    """A character's voice in one embedding model's space: the running mean of the episodes'
    embeddings it was matched in, and how many went into it. Vectors of different models are
    never compared, so a character has one row per model id. The vector is encrypted (it is
    biometric): `voices.embeddings` reads and writes it."""

    character = models.ForeignKey("series.Character", on_delete=models.CASCADE, related_name="embeddings")
    model_id = models.CharField(max_length=120)
    dim = models.PositiveIntegerField()
    blob = models.BinaryField(help_text="Fernet token of the float32 mean vector.")
    count = models.PositiveIntegerField(default=0, help_text="Episode embeddings averaged into the mean.")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["character", "model_id"], name="uniq_character_embedding")]

    def __str__(self) -> str:
        return f"{self.character.code} {self.model_id} ×{self.count}"


class EmbeddingSnapshot(models.Model):
    """One episode's embedding of a character (what went into the mean), kept so that a merge,
    an undo or a reassignment can rebuild the mean exactly, and to chart voice drift."""

    character = models.ForeignKey("series.Character", on_delete=models.CASCADE, related_name="embedding_snapshots")
    episode = models.ForeignKey("series.Episode", on_delete=models.CASCADE, related_name="+")
    job_id = models.BigIntegerField(db_index=True)
    label = models.CharField(max_length=32)
    model_id = models.CharField(max_length=120)
    dim = models.PositiveIntegerField()
    blob = models.BinaryField(help_text="Fernet token of the float32 vector.")
    seconds = models.FloatField(help_text="Speech the embedding was made from.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["character", "created", "id"]
        constraints = [models.UniqueConstraint(fields=["job_id", "label", "model_id"], name="uniq_snapshot_label")]


class EpisodeSpeaker(models.Model):
    """One diarization label of one job, and the character it speaks as."""

    class Provider(models.TextChoices):
        AUTO = "auto", "matched by voice"
        NEW = "new", "new character"
        ASSIGNED = "assigned", "assigned by a person"

    episode = models.ForeignKey("series.Episode", on_delete=models.CASCADE, related_name="speakers")
    job_id = models.BigIntegerField(db_index=True)
    label = models.CharField(max_length=32)
    character = models.ForeignKey("series.Character", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="episode_speakers")
    provider = models.CharField(max_length=10, choices=Provider.choices, default=Provider.NEW)
    similarity = models.FloatField(null=True, blank=True, help_text="Cosine to the matched character's voice.")
    margin = models.FloatField(null=True, blank=True, help_text="Best similarity minus the runner-up's.")
    model_id = models.CharField(max_length=120, blank=True)
    seconds = models.FloatField(default=0.0, help_text="Speech of this label in the episode.")
    flagged = models.BooleanField(default=False, help_text="Needs a person's look (low margin, no engine…).")
    reason = models.CharField(max_length=300, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job_id", "label"]
        constraints = [models.UniqueConstraint(fields=["job_id", "label"], name="uniq_episode_speaker")]
        permissions = [("assign_episodespeaker", "Can assign a speaker to a character")]

    def __str__(self) -> str:
        return f"job {self.job_id} {self.label} → {self.character_id} ({self.provider})"


class CharacterMerge(models.Model):
    """Character `source` merged into `target`: what moved, so that undo restores it exactly."""

    series = models.ForeignKey("series.Series", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey("series.Character", on_delete=models.CASCADE, related_name="merges_out")
    target = models.ForeignKey("series.Character", on_delete=models.CASCADE, related_name="merges_in")
    moved = models.JSONField(default=dict, help_text="Ids per kind that moved from source to target.")
    before = models.JSONField(default=dict, help_text="Target's and source's fields before the merge.")
    target_embeddings = models.BinaryField(null=True, blank=True,
                                           help_text="Fernet token: the target's embedding rows before the merge.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    undone = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["-created", "-id"]
        permissions = [("merge_character", "Can merge characters and undo merges")]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}" + (" (undone)" if self.undone else "")
