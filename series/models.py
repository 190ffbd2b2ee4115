"""The catalog: series, seasons, episodes, and each series' persistent characters."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from .languages import LANGUAGE_CHOICES


class Mode(models.TextChoices):
    LOW = "low", "Low (fast)"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High (two-pass cloning)"


class Series(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    source_language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="en")
    target_language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="en")
    default_mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.MEDIUM)
    voice_memory = models.BooleanField(default=True, help_text="Remember characters' voices across episodes.")
    privacy_mode = models.BooleanField(default=False, help_text="Keep no voice data beyond a job; disables voice memory.")
    voice_threshold = models.FloatField(null=True, blank=True,
                                        help_text="Voice-memory match threshold (cosine); empty: the engine's default.")
    glossary = models.JSONField(default=dict, blank=True,
                                help_text="Series terms forced onto translations: {source term: target term}.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.title

    @property
    def voice_memory_active(self) -> bool:
        return self.voice_memory and not self.privacy_mode


class Season(models.Model):
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="seasons")
    number = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    title = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["series", "number"]
        constraints = [models.UniqueConstraint(fields=["series", "number"], name="uniq_season_number")]

    def __str__(self) -> str:
        return f"{self.series} S{self.number:02d}"


def episode_upload_to(instance: "Episode", filename: str) -> str:
    # The filename was sanitised by the upload service; the folder is ours, never the user's.
    return f"episodes/{instance.season.series.slug}/s{instance.season.number:02d}/{filename}"


class Episode(models.Model):
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="episodes")
    number = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    title = models.CharField(max_length=200, blank=True)
    source_video = models.FileField(upload_to=episode_upload_to, max_length=500)
    source_name = models.CharField(max_length=255, blank=True, help_text="Original file name as uploaded.")
    source_size = models.BigIntegerField(default=0)
    source_sha256 = models.CharField(max_length=64, blank=True)
    duration = models.FloatField(default=0.0, help_text="Seconds, from ffprobe.")
    streams = models.JSONField(default=dict, blank=True, help_text="ffprobe summary.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["season", "number"]
        constraints = [models.UniqueConstraint(fields=["season", "number"], name="uniq_episode_number")]

    def __str__(self) -> str:
        return f"{self.season} E{self.number:02d}" + (f" {self.title}" if self.title else "")

    @property
    def series(self) -> Series:
        return self.season.series


class Character(models.Model):
    """A persistent voice of a series. `merged_into` turns a duplicate into an alias."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="characters")
    code = models.CharField(max_length=16, validators=[RegexValidator(r"^CHAR_\d{4,}$")])
    display_name = models.CharField(max_length=100, blank=True)
    voice_settings = models.JSONField(default=dict, blank=True, help_text="TTS voice, pitch, rate, gender hint.")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="aliases")
    notes = models.TextField(blank=True)
    voice_locked = models.BooleanField(default=False, help_text="Jobs never replace this character's voice or ref.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["series", "code"]
        constraints = [models.UniqueConstraint(fields=["series", "code"], name="uniq_character_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}".strip()

    def canonical(self) -> "Character":
        seen, node = set(), self
        while node.merged_into_id and node.pk not in seen:  # guard against cycles
            seen.add(node.pk)
            node = node.merged_into
        return node
