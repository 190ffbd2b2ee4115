from django.apps import AppConfig
from django.db.models.signals import post_delete


class SeriesConfig(AppConfig):
    name = "series"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from .models import Episode
        from .receivers import delete_episode_source

        post_delete.connect(delete_episode_source, sender=Episode, dispatch_uid="series.episode_source")
