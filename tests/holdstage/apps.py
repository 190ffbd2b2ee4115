import os
import time
from pathlib import Path

from django.apps import AppConfig


class HoldStageConfig(AppConfig):
    name = "tests.holdstage"
    label = "holdstage"

    def ready(self) -> None:
        from jobs.models import PassKind
        from jobs.stages import STAGES_BY_KIND

        name, marker = os.environ["DUBSITE_TEST_HOLD_STAGE"], Path(os.environ["DUBSITE_TEST_HOLD_FILE"])
        stage = next(s for s in STAGES_BY_KIND[PassKind.DUB] if s.name == name)
        original = type(stage).run

        def held_run(self, ctx):
            marker.write_text(str(os.getpid()))
            while marker.exists():  # the test kills us here, or deletes the file to let the stage go on
                time.sleep(0.05)
            return original(self, ctx)

        type(stage).run = held_run
