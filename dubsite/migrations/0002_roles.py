"""Create the role groups (admin, editor, operator, viewer) with their permissions."""
from django.db import migrations


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from dubsite.roles import sync_role_groups

    # Permissions are normally created after all migrations; create them now to assign them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    sync_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["admin", "editor", "operator", "viewer"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dubsite", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("series", "0001_initial"),
        ("jobs", "0001_initial"),
        ("review", "0001_initial"),
        ("django_q", "0018_task_success_index"),
    ]
    operations = [migrations.RunPython(create_roles, drop_roles)]
