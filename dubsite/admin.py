from django.contrib import admin

from .admin_base import ReadOnlyAdmin
from .models import ApiToken, AuditEvent

admin.site.site_header = "dubsite administration"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: audit rows are append-only."""

    list_display = ("time", "actor_name", "action", "target_type", "target_id", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("actor_name", "action", "target_id", "request_id")
    date_hierarchy = "time"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `manage.py token create` (the secret is shown once); here they are revoked."""

    list_display = ("name", "user", "prefix", "created", "last_used", "revoked")
    list_filter = ("revoked",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("user", "name", "prefix", "key_hash", "created", "last_used")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        from .audit import Context
        from .tokens import token_revoke

        for token in queryset.filter(revoked=False):
            token_revoke(actor=request.user, token=token, context=Context.from_request(request))
        self.message_user(request, "Revoked.")
