"""Retranslate flagged: a new machine translation for the unlocked lines flagged `needs_retranslate`.

A rerun flags an edited line `needs_retranslate` when its source text changed: the person's text
is kept, the new machine text dropped. This makes the machine text on demand. The translation runs
outside any transaction (whisper may take seconds a line, and no row should stay locked meanwhile);
then, in one transaction, each line is written only if it is still the line that was translated: same
version, still flagged, still unlocked. A line edited or locked meanwhile is left as the person left it.
The caller passes the translating function (jobs.line_translation builds the job's), so `review`
stays below `jobs`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.db import transaction

from dubsite import audit
from dubsite.errors import Invalid
from dubsite.roles import require
from media.translation import NEEDS_TRANSLATION, SourceLine, Translation

from .editing import check_target_text, do_edit
from .models import Segment
from .services import NEEDS_RETRANSLATE

__all__ = ["RetranslateReport", "lines_retranslate"]

# flags a new translation answers: they described the text being replaced
_TRANSLATION_FLAGS = (NEEDS_RETRANSLATE, NEEDS_TRANSLATION, "empty_translation")


@dataclass
class RetranslateReport:
    retranslated: int = 0
    skipped_locked: int = 0
    skipped_changed: int = 0  # edited, locked or removed while the translation ran: not overwritten
    failed: int = 0  # no engine could translate: text kept, flagged needs_translation
    engine: str = ""
    notes: list[str] = field(default_factory=list)


def _flagged(job_id: int) -> list[Segment]:
    # flags is a JSON list; filtering it in Python works the same on SQLite and PostgreSQL
    rows = Segment.objects.filter(job_id=job_id).only("pk", "index", "start", "end", "source_text", "locked",
                                                      "flags", "version").order_by("index")
    return [s for s in rows if NEEDS_RETRANSLATE in s.flags]


def _new_flags(flags: list[str], added: list[str]) -> list[str]:
    kept = [f for f in flags if f not in _TRANSLATION_FLAGS and not f.startswith("glossary_missing:")]
    return kept + [f for f in added if f not in kept]


def lines_retranslate(*, actor, job_id: int, translate_lines: Callable[[list[SourceLine]], Translation],
                      context=None) -> RetranslateReport:
    """Translate the job's unlocked `needs_retranslate` lines again; locked lines are never touched.

    Each retranslated line gets the new text as an edit by `actor` (approval withdrawn, version
    bumped, a "retranslated" revision, a `segment.retranslate` audit row), loses the flag, and keeps
    being a person's line on later reruns: someone chose this text. A line no engine could translate
    keeps its text and gains `needs_translation` (its `needs_retranslate` stays, so a later call, with
    a model installed, still finds it)."""
    require(actor, "review.change_segment")
    report = RetranslateReport()
    flagged = _flagged(job_id)
    report.skipped_locked = sum(1 for s in flagged if s.locked)
    todo = [s for s in flagged if not s.locked]
    if not todo:
        with transaction.atomic():
            _audit(actor, job_id, report, context)
        return report
    result = translate_lines([SourceLine(s.source_text, s.start, s.end) for s in todo])
    report.engine, report.notes = result.engine, list(result.notes)
    with transaction.atomic():
        rows = {r.pk: r for r in Segment.objects.select_for_update().filter(pk__in=[s.pk for s in todo])}
        for seen, line in zip(todo, result.lines):
            row = rows.get(seen.pk)
            if row is not None and row.locked:
                report.skipped_locked += 1
            elif row is None or row.version != seen.version or NEEDS_RETRANSLATE not in row.flags:
                report.skipped_changed += 1
            elif not _write(row, actor=actor, line=line, context=context):
                report.failed += 1
            else:
                report.retranslated += 1
        _audit(actor, job_id, report, context)
    return report


def _write(row: Segment, *, actor, line, context) -> bool:
    """The new text on a locked-for-update row; False (flagged needs_translation) when there is none."""
    text = None
    if line.engine != "none" and NEEDS_TRANSLATION not in line.flags:
        try:
            text = check_target_text(line.target_text)
        except Invalid:  # empty, too long or control characters: not a text anyone could speak
            text = None
    if text is None:
        flags = [f for f in row.flags if f != NEEDS_TRANSLATION] + [NEEDS_TRANSLATION]
        if flags != row.flags:
            row.flags = flags
            row.save(update_fields=["flags"])
        return False
    # the same path as an editor's save: revision, approval withdrawn, version, audit
    do_edit(row, actor=actor, text=text, note="retranslated", action="segment.retranslate", context=context,
            extra={"engine": line.engine})
    row.flags = _new_flags(row.flags, line.flags)
    row.save(update_fields=["flags"])
    return True


def _audit(actor, job_id: int, report: RetranslateReport, context) -> None:
    audit.record(actor, "segments.retranslate", target_type="jobs.job", target_id=str(job_id),
                 new={k: v for k, v in asdict(report).items() if k != "notes"}, context=context)
