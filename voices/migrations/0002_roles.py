"""Give the roles the permissions of VoiceRef (editors add and view refs, operators view)."""
from django.db import migrations


def sync_roles(apps, schema_editor):
    from dubsite.roles import migrate_roles

    migrate_roles(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("voices", "0001_initial"), ("dubsite", "0002_roles")]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
