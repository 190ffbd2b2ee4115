from django.apps import AppConfig
from django.db.models.signals import post_delete


class VoicesConfig(AppConfig):
    """Voice memory: speaker → character matching, encrypted refs and embeddings, voice plans."""

    name = "voices"
    verbose_name = "Voice memory"

    def ready(self) -> None:
        from series.hooks import register_forgetter, register_usage_provider

        from .models import VoiceRef
        from .selectors import voice_ref_usage
        from .services import delete_ref_blob, voice_data_forget

        # a ref's encrypted blob goes with its row, however it goes (privacy mode, a series or
        # character deleted by a cascade, the admin), after the commit
        post_delete.connect(delete_ref_blob, sender=VoiceRef, dispatch_uid="voices.ref_blob")
        register_usage_provider(voice_ref_usage)
        register_forgetter(voice_data_forget)
