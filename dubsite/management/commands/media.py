"""`manage.py media <stage> ...`: the same one-stage commands as `python -m media` (see media/cli.py)."""
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run one processing stage on a file: transcribe, diarize, embed, separate, synthesize, mix, loudness, probe."

    def run_from_argv(self, argv):
        # argparse of media.cli owns the arguments; Django's parser would reject them
        from media.cli import main

        code = main(argv[2:], prog=f"{argv[0]} media")
        if code:
            sys.exit(code)

    def handle(self, *args, **options):  # pragma: no cover - run_from_argv does the work
        raise CommandError("use: manage.py media <stage> ...")
