"""Characters made by the old identify stage carried {"origin": {"job", "label"}} in their
voice_settings; that link now lives in EpisodeSpeaker rows. Move it, and drop the marker."""
from django.db import migrations


def move(apps, schema_editor):
    Character = apps.get_model("series", "Character")
    Segment = apps.get_model("review", "Segment")
    EpisodeSpeaker = apps.get_model("voices", "EpisodeSpeaker")
    for character in Character.objects.filter(voice_settings__has_key="origin").iterator():
        settings = dict(character.voice_settings)
        origin = settings.pop("origin") or {}
        line = Segment.objects.filter(job_id=origin.get("job"), diar_label=origin.get("label")).first()
        if line is not None:
            EpisodeSpeaker.objects.get_or_create(job_id=line.job_id, label=line.diar_label, defaults={
                "episode_id": line.episode_id, "character_id": character.pk, "provider": "new"})
        character.voice_settings = settings
        character.save(update_fields=["voice_settings"])


class Migration(migrations.Migration):
    dependencies = [("voices", "0004_voice_memory"), ("review", "0001_initial")]
    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
