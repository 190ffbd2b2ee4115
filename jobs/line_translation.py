"""Translating a finished job's lines again, exactly as its translate stage did ("Retranslate flagged").

Same languages, series glossary and engine order (`translate_for_job`), and for whisper translate the
same audio the stage heard (the 16 kHz dialogue stem, or the full mix when separation was degraded).
That audio lives in the job's storage once the job has ended, so it is fetched into a temporary folder
of this call only: never into the job's work folder, which a running pass owns and removes.
"""
from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from django.core.files.storage import default_storage

from media.errors import EngineUnavailable
from media.translation import SourceLine, Translation, registry

from .artifacts import storage_name
from .models import Job
from .pipeline import finished_outputs
from .stages.separate import analysis_source
from .stages.translate import translate_for_job

__all__ = ["job_line_translator", "AUDIO_ENGINES"]

log = logging.getLogger(__name__)
# engines that translate from the line's audio rather than its text
AUDIO_ENGINES = frozenset({"whisper-translate"})


def _needs_audio(job: Job) -> bool:
    """Whether the engine this job's languages get reads audio: fetching an episode's stem for a text
    engine would only cost time (and, on S3, a download)."""
    series = job.episode.season.series
    try:
        chosen = registry(series.source_language, job.target_language).select()
    except EngineUnavailable:
        return False  # nothing can translate: every line is kept and flagged needs_translation
    return chosen.name in AUDIO_ENGINES


def _fetch_audio(job: Job, folder: Path) -> Path | None:
    """The stage's audio, copied from storage into `folder`; None when the job has no such output
    (it never got past separation) or storage lost it, which the engine then reports per line."""
    outputs, _ = finished_outputs(job)
    if "separate" not in outputs or "extract" not in outputs:
        return None
    rel, _label = analysis_source(outputs["separate"], outputs["extract"])
    name = storage_name(job.pk, rel)
    if not default_storage.exists(name):
        log.warning("job %s: %s is not in storage; audio engines cannot retranslate", job.pk, rel)
        return None
    local = folder / PurePosixPath(rel).name
    with default_storage.open(name, "rb") as src, open(local, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return local


@contextlib.contextmanager
def job_line_translator(job: Job) -> Iterator[Callable[[list[SourceLine]], Translation]]:
    """A function translating lines of `job` the way its translate stage did; the audio it fetched
    (if any) is removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix=f"retranslate-job{job.pk}-") as tmp:

        def translate_lines(lines: list[SourceLine]) -> Translation:
            audio = _fetch_audio(job, Path(tmp)) if lines and _needs_audio(job) else None
            return translate_for_job(job, lines, audio=audio)

        yield translate_lines
