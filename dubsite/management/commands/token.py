"""`manage.py token create USER [--name N]` prints a new API token once; `token list USER`; `token revoke PREFIX`."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dubsite.models import ApiToken
from dubsite.tokens import token_create, token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("who", help="username (create, list) or token prefix (revoke)")
        parser.add_argument("--name", default="cli")

    def handle(self, action, who, name, **options):
        if action == "revoke":
            token = ApiToken.objects.filter(prefix=who).first()
            if token is None:
                raise CommandError(f"no token with prefix {who!r}")
            token_revoke(actor=token.user, token=token)
            self.stdout.write(f"revoked {token}")
            return
        user = get_user_model().objects.filter(username=who).first()
        if user is None:
            raise CommandError(f"no user {who!r}")
        if action == "list":
            for token in user.api_tokens.all():
                self.stdout.write(f"{token.prefix}  {token.name}  created {token.created:%Y-%m-%d}  "
                                  f"{'revoked' if token.revoked else 'active'}")
            return
        with transaction.atomic():
            _, secret = token_create(actor=user, user=user, name=name)
        self.stdout.write("Token created; it is shown only this once:")
        self.stdout.write(secret)
