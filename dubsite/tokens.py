"""API tokens: created once (the secret is shown once), stored as SHA-256, revocable."""
from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from . import audit
from .models import ApiToken
from .roles import require

__all__ = ["token_create", "token_revoke", "authenticate_token", "hash_key"]

PREFIX = "dub_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def token_create(*, actor, user, name: str, context: audit.Context | None = None) -> tuple[ApiToken, str]:
    """Create a token for `user`. Users create their own; admins may create for anyone."""
    if actor != user:
        require(actor, "dubsite.add_apitoken")
    secret = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:100], prefix=secret[:12], key_hash=hash_key(secret))
        audit.record(actor, "token.create", token, new={"user": user.get_username(), "name": token.name,
                                                        "prefix": token.prefix}, context=context)
    return token, secret


def token_revoke(*, actor, token: ApiToken, context: audit.Context | None = None) -> ApiToken:
    if actor != token.user:
        require(actor, "dubsite.change_apitoken")
    with transaction.atomic():
        token.revoked = True
        token.save(update_fields=["revoked"])
        audit.record(actor, "token.revoke", token, old={"revoked": False}, new={"revoked": True}, context=context)
    return token


def authenticate_token(key: str):
    """Return the token's user, or None for unknown, revoked, expired tokens or inactive users."""
    if not key or not key.startswith(PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key), revoked=False).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires and token.expires <= now:
        return None
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)  # throttled: not a write per request
    return token.user
