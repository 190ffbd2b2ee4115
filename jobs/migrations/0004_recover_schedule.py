"""Schedule the recovery of jobs whose worker died (every 5 minutes, on the django-q2 scheduler)."""
from django.db import migrations


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(name="recover stale jobs", defaults={
        "func": "jobs.tasks.recover_stale_jobs", "schedule_type": "I", "minutes": 5, "repeats": -1})


def drop(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="recover stale jobs").delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0003_job_heartbeat"), ("django_q", "0018_task_success_index")]
    operations = [migrations.RunPython(create, drop)]
