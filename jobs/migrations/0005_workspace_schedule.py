"""Schedule the removal of work folders kept after failures (every hour, on the django-q2 scheduler)."""
from django.db import migrations


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(name="release expired work folders", defaults={
        "func": "jobs.tasks.release_expired_workspaces", "schedule_type": "I", "minutes": 60, "repeats": -1})


def drop(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="release expired work folders").delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0004_recover_schedule"), ("django_q", "0018_task_success_index")]
    operations = [migrations.RunPython(create, drop)]
