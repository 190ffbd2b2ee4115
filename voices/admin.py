from django.contrib import admin

from dubsite.admin_base import ReadOnlyAdmin

from .models import VoiceRef


@admin.register(VoiceRef)
class VoiceRefAdmin(ReadOnlyAdmin):
    """Read-only: refs are added by jobs and editors through services (encrypted, audited)."""

    list_display = ("character", "seconds", "source", "source_job_id", "created_by", "created")
    list_filter = ("source", "character__series")
    search_fields = ("character__code", "character__display_name", "character__series__slug")
    list_select_related = ("character", "created_by")
    exclude = ("blob",)
