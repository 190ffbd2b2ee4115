from django.db import migrations, models


def kinds_of_existing_passes(apps, schema_editor):
    """Before kinds, pass 1 was the dub and pass 2 the clone pass."""
    apps.get_model("jobs", "Pass").objects.filter(number__gte=2).update(kind="clone")


def roles(apps, schema_editor):
    from dubsite.roles import migrate_roles

    migrate_roles(apps, schema_editor)  # operators may synthesize approved lines


class Migration(migrations.Migration):

    dependencies = [
        ("jobs", "0007_reliability"),
        ("dubsite", "0002_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="pass",
            name="kind",
            field=models.CharField(choices=[("dub", "Analysis + dub"), ("clone", "Clone voices"),
                                            ("resynth", "Synthesize approved")], default="dub", max_length=8),
        ),
        migrations.AlterModelOptions(
            name="job",
            options={"ordering": ["-created", "-id"], "permissions": [
                ("cancel_job", "Can cancel a job"), ("retry_job", "Can retry a job"),
                ("rerun_pass2", "Can rerun pass 2 of a job"),
                ("synthesize_job", "Can synthesize a job's approved lines")]},
        ),
        migrations.RunPython(kinds_of_existing_passes, migrations.RunPython.noop),
        migrations.RunPython(roles, migrations.RunPython.noop),
    ]
