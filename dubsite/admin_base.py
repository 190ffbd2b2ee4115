"""Admin building blocks shared by the apps."""
from django.contrib import admin, messages
from django.shortcuts import redirect

from .errors import ApplicationError


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


class ServiceChanges:
    """Mixin for the admin of a row whose changes must go through a service (audit, side effects):
    the subclass's `save_model`/`delete_model` call the service, and a service's refusal
    (ApplicationError) becomes a message on the page, not a server error. The admin's change
    view runs in a transaction, so a refusal leaves nothing half-written."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", object_id)


class ReadOnlyInline:
    """An inline that lists the owned rows without letting the owner's form change them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
