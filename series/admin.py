from django.contrib import admin, messages
from django.shortcuts import redirect

from dubsite.admin_base import DeletesOwnedRows
from dubsite.audit import Context
from dubsite.errors import ApplicationError

from . import services
from .models import Character, Episode, Season, Series


class SeasonInline(admin.TabularInline):
    model = Season
    extra = 0


@admin.register(Series)
class SeriesAdmin(DeletesOwnedRows, admin.ModelAdmin):
    list_display = ("title", "slug", "source_language", "target_language", "default_mode", "voice_memory", "privacy_mode", "created")
    list_filter = ("default_mode", "voice_memory", "privacy_mode", "source_language", "target_language")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [SeasonInline]

    # Deletes go through the service: it refuses while jobs of the series run, and audits.
    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:series_series_change", object_id)

    def delete_model(self, request, obj):
        services.series_delete(actor=request.user, series=obj, context=Context.from_request(request))

    def delete_queryset(self, request, queryset):
        for series in queryset:
            try:
                services.series_delete(actor=request.user, series=series, context=Context.from_request(request))
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)


@admin.register(Season)
class SeasonAdmin(admin.ModelAdmin):
    list_display = ("series", "number", "title")
    list_filter = ("series",)
    list_select_related = ("series",)


@admin.register(Episode)
class EpisodeAdmin(DeletesOwnedRows, admin.ModelAdmin):
    list_display = ("__str__", "season", "number", "title", "duration", "source_name", "created")
    list_filter = ("season__series",)
    search_fields = ("title", "source_name", "season__series__title")
    list_select_related = ("season__series",)
    readonly_fields = ("source_size", "source_sha256", "duration", "streams", "created_by", "created")


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
    list_display = ("code", "display_name", "series", "merged_into", "created")
    list_filter = ("series",)
    search_fields = ("code", "display_name")
    list_select_related = ("series", "merged_into")
