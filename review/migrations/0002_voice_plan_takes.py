import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="segment",
            name="voice_plan",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.CreateModel(
            name="Take",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField()),
                ("text", models.TextField()),
                ("voice_plan", models.JSONField(blank=True, default=dict)),
                ("audio", models.CharField(help_text="Storage name of the fitted clip.", max_length=300)),
                ("duration", models.FloatField(default=0.0)),
                ("speed", models.FloatField(default=1.0, help_text="Time-stretch applied to fit the slot.")),
                ("provider", models.CharField(blank=True, max_length=32)),
                ("chosen", models.BooleanField(default=False)),
                ("seconds", models.FloatField(default=0.0, help_text="Time from request to playable clip.")),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                 related_name="+", to=settings.AUTH_USER_MODEL)),
                ("segment", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="takes",
                                              to="review.segment")),
            ],
            options={
                "ordering": ["segment", "number"],
                "constraints": [
                    models.UniqueConstraint(fields=("segment", "number"), name="uniq_take_number"),
                    models.UniqueConstraint(condition=models.Q(("chosen", True)), fields=("segment",),
                                            name="one_chosen_take"),
                ],
            },
        ),
    ]
