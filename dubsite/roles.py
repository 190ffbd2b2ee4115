"""Roles and the one permission helper that services, selectors and the API call.

Roles are Django groups (created by a data migration from ROLE_PERMISSIONS). A user's
ability is always `user.has_perm(...)`, so superusers, groups and per-user grants all work.
"""
from __future__ import annotations

from .errors import Forbidden, Unauthorized

__all__ = ["ADMIN", "EDITOR", "OPERATOR", "VIEWER", "ROLES", "ROLE_PERMISSIONS", "has_perm", "require", "roles_of",
           "sync_role_groups", "migrate_roles"]

ADMIN, EDITOR, OPERATOR, VIEWER = "admin", "editor", "operator", "viewer"
ROLES = (ADMIN, EDITOR, OPERATOR, VIEWER)

_VIEW = [
    "series.view_series", "series.view_season", "series.view_episode", "series.view_character",
    "jobs.view_job", "jobs.view_pass", "jobs.view_stagerun", "jobs.view_jobevent",
    "review.view_segment", "review.view_segmentrevision",
    "voices.view_episodespeaker",  # who speaks as whom; not voice data (refs need view_voiceref)
]

# app_label.codename; custom permissions are declared in each model's Meta.permissions.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    VIEWER: _VIEW,
    OPERATOR: _VIEW + [
        "series.add_series", "series.change_series", "series.add_season", "series.change_season",
        "series.add_episode", "series.change_episode",
        "jobs.add_job", "jobs.cancel_job", "jobs.retry_job", "jobs.rerun_pass2", "jobs.synthesize_job",
        "voices.view_voiceref",
    ],
    EDITOR: _VIEW + [
        "review.change_segment", "review.approve_segment", "review.lock_segment", "review.regenerate_segment",
        "series.add_character", "series.change_character", "voices.view_voiceref", "voices.add_voiceref",
        "voices.assign_episodespeaker",
    ],
    ADMIN: "__all__",  # every permission of our apps + auth, audit read, tokens
}
ADMIN_APPS = ("series", "jobs", "review", "voices", "dubsite", "auth", "django_q")


def roles_of(user) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return [ADMIN]
    names = set(user.groups.values_list("name", flat=True))
    return [r for r in ROLES if r in names]


def has_perm(user, perm: str, obj=None) -> bool:
    """May `user` do `perm` (\"app.codename\") to `obj`?

    `obj` is accepted now so that per-series scoping can be added in one place later.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_perm(perm)


def require(user, perm: str, obj=None) -> None:
    """Raise Unauthorized (no user) or Forbidden (no permission)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Unauthorized("authentication required")
    if not has_perm(user, perm, obj):
        raise Forbidden(f"you lack the permission {perm}")


def sync_role_groups(group_model, permission_model) -> None:
    """Create/refresh the role groups. Takes the model classes so the data migration can pass
    its historical models; `manage.py roles` and test set-up pass the real ones."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        if perms == "__all__":
            chosen = list(permission_model.objects.filter(content_type__app_label__in=ADMIN_APPS))
        else:
            chosen = []
            for dotted in perms:
                app_label, codename = dotted.split(".")
                perm = permission_model.objects.filter(content_type__app_label=app_label, codename=codename).first()
                if perm is not None:  # a model of a later migration: that migration syncs again
                    chosen.append(perm)
        group.permissions.set(chosen)


def migrate_roles(apps, schema_editor) -> None:
    """Data-migration step: create the permissions of every app now (Django would only after all
    migrations) and refresh the role groups. Each migration that adds permissions runs it."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))
