"""`manage.py voices rotate-keys`: re-encrypt every series ref with the newest key of
DUBSITE_ENCRYPTION_KEYS, after which older keys can be removed from the list."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from voices import crypto
from voices.services import voice_refs_rotate


class Command(BaseCommand):
    help = "Voice data maintenance. rotate-keys: re-encrypt every series ref with the newest key."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rotate-keys"])

    def handle(self, action: str, **options):
        try:
            count = voice_refs_rotate()
        except crypto.EncryptionUnavailable as exc:
            raise CommandError(str(exc)) from exc
        except crypto.InvalidToken as exc:
            raise CommandError("a ref could not be decrypted by any configured key: keep the old key in "
                               "DUBSITE_ENCRYPTION_KEYS (after the new one) until rotation has run") from exc
        self.stdout.write(f"re-encrypted {count} series ref(s) with the newest key")
