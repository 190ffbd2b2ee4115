"""Voice-memory rows are written only by services (encrypted, audited): read-only here, and no
encrypted blob (ref audio, embedding vectors) is shown or offered for download."""
from django.contrib import admin

from dubsite.admin_base import ReadOnlyAdmin

from .models import CharacterEmbedding, CharacterMerge, EmbeddingSnapshot, EpisodeSpeaker, VoiceRef


@admin.register(VoiceRef)
class VoiceRefAdmin(ReadOnlyAdmin):
    """Refs are added by jobs and editors through services; heard on the voices pages."""

    list_display = ("character", "seconds", "source", "source_job_id", "created_by", "created")
    list_filter = ("source", "character__series")
    search_fields = ("character__code", "character__display_name", "character__series__slug")
    list_select_related = ("character", "created_by")
    exclude = ("blob",)


@admin.register(EpisodeSpeaker)
class EpisodeSpeakerAdmin(ReadOnlyAdmin):
    """Assignments are made on the job page's Speakers panel (audited, re-run from identify)."""

    list_display = ("job_id", "label", "episode", "character", "provider", "similarity", "margin", "flagged")
    list_filter = ("provider", "flagged", "episode__season__series")
    search_fields = ("label", "character__code", "character__display_name")
    list_select_related = ("episode__season__series", "character")


@admin.register(CharacterMerge)
class CharacterMergeAdmin(ReadOnlyAdmin):
    """Merges and their undo happen on the Characters page; this is the record of what moved."""

    list_display = ("source", "target", "series", "actor", "created", "undone")
    list_filter = ("series",)
    list_select_related = ("source", "target", "series", "actor")
    exclude = ("target_embeddings",)


@admin.register(CharacterEmbedding)
class CharacterEmbeddingAdmin(ReadOnlyAdmin):
    list_display = ("character", "model_id", "dim", "count", "updated")
    list_filter = ("model_id", "character__series")
    list_select_related = ("character",)
    exclude = ("blob",)


@admin.register(EmbeddingSnapshot)
class EmbeddingSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("character", "episode", "job_id", "label", "model_id", "seconds", "created")
    list_filter = ("model_id", "character__series")
    list_select_related = ("character", "episode__season__series")
    exclude = ("blob",)
