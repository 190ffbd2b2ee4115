"""Create the role groups (admin, editor, operator, viewer) with their permissions."""
from django.db import migrations


def create_roles(apps, schema_editor):
    from dubsite.roles import migrate_roles

    migrate_roles(apps, schema_editor)


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
