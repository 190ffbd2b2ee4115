"""Admin building blocks shared by the apps."""
from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (audit, stage runs, revisions): viewable, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeletesOwnedRows:
    """Mixin for the admin of a row that owns others (a job its passes, stage runs and events): the
    owned rows' admins are read-only, so Django would refuse to delete the owner. The permission to
    delete the owner is what counts; its rows go with it (and its files, see dubsite/storage.py)."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected
