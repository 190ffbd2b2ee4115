from django.apps import AppConfig


class DubsiteConfig(AppConfig):
    name = "dubsite"
    verbose_name = "Platform"
