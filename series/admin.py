"""Catalog admins. None is a back door: every change goes through the series services (which
check the role, audit, and carry the side effects, e.g. privacy mode deleting the series' voice
refs), and what no service changes is read-only here. Characters are merged on the series'
Characters page (audited, with undo), never by editing `merged_into`."""
import inspect

from django.contrib import admin, messages

from dubsite.admin_base import DeletesOwnedRows, ReadOnlyInline, ServiceChanges
from dubsite.audit import Context
from dubsite.errors import ApplicationError

from . import services
from .models import Character, Episode, Season, Series


def _service_fields(service) -> set[str]:
    """The model fields a service's keyword arguments change (the admin follows the service)."""
    return set(inspect.signature(service).parameters) - {"actor", "context", "series", "character", "episode"}


class SeasonInline(ReadOnlyInline, admin.TabularInline):
    model = Season
    extra = 0
    fields = readonly_fields = ("number", "title")


@admin.register(Series)
class SeriesAdmin(ServiceChanges, DeletesOwnedRows, admin.ModelAdmin):
    list_display = ("title", "slug", "source_language", "target_language", "default_mode", "voice_memory", "privacy_mode", "created")
    list_filter = ("default_mode", "voice_memory", "privacy_mode", "source_language", "target_language")
    search_fields = ("title", "slug")
    inlines = [SeasonInline]

    def get_readonly_fields(self, request, obj=None):
        editable = set(services.SERIES_FIELDS) | ({"slug"} if obj is None else set())
        return [f.name for f in Series._meta.fields if f.editable and f.name not in editable] + ["created"]

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ("title",)} if obj is None else {}

    def save_model(self, request, obj, form, change):
        """series_update / series_create: audited; switching privacy mode on deletes the refs."""
        context = Context.from_request(request)
        values = {f: form.cleaned_data[f] for f in services.SERIES_FIELDS if f in form.cleaned_data}
        if change:
            changed = {f: v for f, v in values.items() if f in form.changed_data}
            services.series_update(actor=request.user, series=obj, context=context, **changed)
        else:
            values.pop("title", None)
            created = services.series_create(actor=request.user, slug=obj.slug, title=obj.title, context=context,
                                             **values)
            obj.pk, obj.created, obj.created_by = created.pk, created.created, created.created_by
        obj.refresh_from_db()

    # Deletes go through the service: it refuses while jobs of the series run, and audits.
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
    """Read-only: seasons are made by uploads (season_get_or_create) and go with their series."""

    list_display = ("series", "number", "title")
    list_filter = ("series",)
    list_select_related = ("series",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Episode)
class EpisodeAdmin(ServiceChanges, DeletesOwnedRows, admin.ModelAdmin):
    """Episodes are uploaded on the series page (validated, probed); here they are only viewed,
    or deleted through episode_delete (audited, refused while a job of the series runs)."""

    list_display = ("__str__", "season", "number", "title", "duration", "source_name", "created")
    list_filter = ("season__series",)
    search_fields = ("title", "source_name", "season__series__title")
    list_select_related = ("season__series",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.episode_delete(actor=request.user, episode=obj, context=Context.from_request(request))

    def delete_queryset(self, request, queryset):
        for episode in queryset:
            try:
                services.episode_delete(actor=request.user, episode=episode, context=Context.from_request(request))
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)


@admin.register(Character)
class CharacterAdmin(ServiceChanges, admin.ModelAdmin):
    """Changes go through character_update (audited); merging, undoing a merge and deleting a
    character happen on the series' Characters page, which moves or scrubs the character's
    lines, refs and embeddings with it."""

    list_display = ("code", "display_name", "series", "merged_into", "created")
    list_filter = ("series",)
    search_fields = ("code", "display_name")
    list_select_related = ("series", "merged_into")
    exclude = ("merged_into",)  # shown read-only as merged_into_note

    def get_readonly_fields(self, request, obj=None):
        editable = _service_fields(services.character_update)
        shown = [f.name for f in Character._meta.fields if f.editable and f.name not in editable]
        return [("merged_into_note" if name == "merged_into" else name) for name in shown] + ["created"]

    @admin.display(description="merged into")
    def merged_into_note(self, obj):
        target = obj.merged_into if obj and obj.merged_into_id else "—"
        return f"{target} (merges and their undo are made on the series' Characters page, audited)"

    def has_add_permission(self, request):
        return False  # characters come from jobs and the Characters page (character_create)

    def has_delete_permission(self, request, obj=None):
        return False  # the Characters page deletes a character with its refs and embeddings

    def save_model(self, request, obj, form, change):
        editable = _service_fields(services.character_update)
        changed = {f: form.cleaned_data[f] for f in form.changed_data if f in editable}
        if changed:
            services.character_update(actor=request.user, character=obj, context=Context.from_request(request),
                                      **changed)
        obj.refresh_from_db()
