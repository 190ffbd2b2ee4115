from django.apps import AppConfig


class VoicesConfig(AppConfig):
    """Voice memory (speaker → character matching, encrypted refs/embeddings) lands here."""

    name = "voices"
    verbose_name = "Voice memory"
