"""Write audit rows. Call inside the service's transaction so change and audit commit together."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import AuditEvent

__all__ = ["record", "Context", "SECRET_KEYS"]

SECRET_KEYS = {"password", "key", "token", "secret", "key_hash", "api_key"}


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if k.lower() in SECRET_KEYS else _mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


class Context:
    """Who did it and from where: built from a request, or for the CLI/worker with `system`."""

    def __init__(self, user=None, *, request_id: str = "", ip: str | None = None):
        self.user = user
        self.request_id = request_id
        self.ip = ip

    @classmethod
    def from_request(cls, request) -> "Context":
        return cls(getattr(request, "user", None), request_id=getattr(request, "request_id", ""),
                   ip=request.META.get("REMOTE_ADDR"))


def record(
    actor, action: str, target=None, *, old: dict | None = None, new: dict | None = None,
    context: Context | None = None, target_type: str = "", target_id: str = "",
) -> AuditEvent:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the service's transaction")
    user = actor if getattr(actor, "is_authenticated", False) else None
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    return AuditEvent.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        old=_mask(old),
        new=_mask(new),
        request_id=context.request_id if context else "",
        ip=context.ip if context else None,
    )
