from django.contrib import admin, messages

from dubsite.admin_base import DeletesOwnedRows, ReadOnlyAdmin
from dubsite.audit import Context
from dubsite.errors import ApplicationError

from . import services
from .models import Job, JobEvent, Pass, StageRun


class PassInline(admin.TabularInline):
    model = Pass
    extra = 0
    can_delete = False
    readonly_fields = ("number", "kind", "state", "error", "started", "finished")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(DeletesOwnedRows, admin.ModelAdmin):
    list_display = ("id", "episode", "mode", "two_pass", "state", "progress", "current_stage", "created_by", "created", "finished")
    list_filter = ("state", "mode", "two_pass", "episode__season__series")
    search_fields = ("id", "episode__title", "episode__season__series__title", "error")
    list_select_related = ("episode__season__series", "created_by")
    readonly_fields = ("state", "progress", "current_stage", "cancel_requested", "attempts", "error", "task_id",
                       "outputs", "created_by", "created", "started", "finished")
    inlines = [PassInline]
    actions = ["cancel_jobs", "retry_jobs", "rerun_pass2", "synthesize_approved"]

    def _run(self, request, queryset, service, verb):
        done = 0
        for job in queryset:
            try:
                service(actor=request.user, job=job, context=Context.from_request(request))
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"job {job.pk}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"{verb} {done} job(s).")

    @admin.action(description="Cancel selected jobs", permissions=["cancel"])
    def cancel_jobs(self, request, queryset):
        self._run(request, queryset, services.job_cancel, "Cancelled")

    @admin.action(description="Retry selected jobs", permissions=["retry"])
    def retry_jobs(self, request, queryset):
        self._run(request, queryset, services.job_retry, "Re-queued")

    @admin.action(description="Rerun pass 2 (clone voices) of selected jobs", permissions=["rerun_pass2"])
    def rerun_pass2(self, request, queryset):
        self._run(request, queryset, services.job_rerun_pass2, "Re-queued pass 2 of")

    @admin.action(description="Synthesize approved lines of selected jobs", permissions=["synthesize"])
    def synthesize_approved(self, request, queryset):
        self._run(request, queryset, services.job_synthesize_approved, "Queued synthesize approved for")

    def has_synthesize_permission(self, request):
        return request.user.has_perm("jobs.synthesize_job")

    def has_rerun_pass2_permission(self, request):
        return request.user.has_perm("jobs.rerun_pass2")

    def has_cancel_permission(self, request):
        return request.user.has_perm("jobs.cancel_job")

    def has_retry_permission(self, request):
        return request.user.has_perm("jobs.retry_job")


@admin.register(StageRun)
class StageRunAdmin(ReadOnlyAdmin):
    list_display = ("job", "pass_obj", "name", "state", "duration", "started", "finished")
    list_filter = ("state", "name")
    search_fields = ("job__id", "name", "fingerprint")
    list_select_related = ("job", "pass_obj")


@admin.register(JobEvent)
class JobEventAdmin(ReadOnlyAdmin):
    list_display = ("time", "job", "level", "stage", "message")
    list_filter = ("level", "stage")
    search_fields = ("message", "job__id")
    list_select_related = ("job",)


@admin.register(Pass)
class PassAdmin(ReadOnlyAdmin):
    list_display = ("job", "number", "state", "started", "finished")
    list_filter = ("state", "number")
    list_select_related = ("job",)
