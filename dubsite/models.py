"""Platform-wide rows: the append-only audit log and API tokens."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from .jsonsafe import FiniteJSONEncoder


class AuditEventQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionError("audit events are append-only")

    def update(self, **kwargs):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    """One sensitive action. Written by services in the same transaction as the change."""

    time = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)  # survives the user's deletion
    action = models.CharField(max_length=64, db_index=True)  # dotted, e.g. "job.submit"
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    old = models.JSONField(null=True, blank=True, encoder=FiniteJSONEncoder)
    new = models.JSONField(null=True, blank=True, encoder=FiniteJSONEncoder)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class ApiToken(models.Model):
    """A bearer token for scripts. Only its SHA-256 is stored; it carries its user's permissions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)  # shown in lists to tell tokens apart
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
