"""`manage.py voices rotate-keys`: re-encrypt all voice data (series refs, jobs' refs, embeddings,
merge records) with the newest key of DUBSITE_ENCRYPTION_KEYS, after which older keys can be
removed from the list. `manage.py voices encrypt-legacy`: encrypt jobs' refs that were stored as
plain WAV before job refs were encrypted at rest, and delete the plaintext."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from voices import crypto
from voices.maintenance import encrypt_legacy_job_refs, rotate_all


class Command(BaseCommand):
    help = ("Voice data maintenance. rotate-keys: re-encrypt all voice data with the newest key; "
            "encrypt-legacy: encrypt jobs' refs stored as plain WAV by older versions.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rotate-keys", "encrypt-legacy"])

    def handle(self, action: str, **options):
        try:
            if action == "encrypt-legacy":
                count = encrypt_legacy_job_refs()
                self.stdout.write(f"encrypted {count} job ref(s) stored as plain WAV; the plaintext is gone")
                return
            counts = rotate_all()
        except crypto.EncryptionUnavailable as exc:
            raise CommandError(str(exc)) from exc
        except crypto.InvalidToken as exc:
            raise CommandError("a ref could not be decrypted by any configured key: keep the old key in "
                               "DUBSITE_ENCRYPTION_KEYS (after the new one) until rotation has run") from exc
        self.stdout.write(f"re-encrypted {counts['series refs']} series ref(s) with the newest key; also "
                          + ", ".join(f"{v} {k}" for k, v in counts.items() if k != "series refs"))
