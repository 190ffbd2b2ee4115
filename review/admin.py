from django.contrib import admin

from dubsite.admin_base import ReadOnlyAdmin

from .models import Segment, SegmentRevision


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    """Edits belong in the review pages (versioned, audited); the admin shows lines read-only."""

    list_display = ("job_id", "index", "start", "end", "diar_label", "character", "approved", "locked", "version")
    list_filter = ("approved", "locked", "episode__season__series")
    search_fields = ("source_text", "target_text", "diar_label")
    list_select_related = ("character",)
    readonly_fields = [f.name for f in Segment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # lines go with their job; a deleted line would leave no revision or audit row


@admin.register(SegmentRevision)
class SegmentRevisionAdmin(ReadOnlyAdmin):
    list_display = ("segment", "version", "editor", "time", "approved", "locked")
    list_select_related = ("segment", "editor")
    readonly_fields = [f.name for f in SegmentRevision._meta.fields]
