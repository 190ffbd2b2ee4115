from .roles import has_perm, roles_of


def roles(request):
    user = getattr(request, "user", None)
    return {
        "user_roles": roles_of(user) if user else [],
        "can_submit": has_perm(user, "jobs.add_job"),
        "can_upload": has_perm(user, "series.add_episode"),
    }
