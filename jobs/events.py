"""Job events: the explainable log of a job (engine choices, counts, failures, tracebacks)."""
from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from media.config import models_dir
from media.redact import redact

from .models import EventLevel, JobEvent

__all__ = ["emit", "public", "JobEventHandler"]


def public(value: Any) -> Any:
    """What viewers may read (events, errors, engine notes): server paths become `$MODELS_DIR/…`,
    `$WORK_DIR/…`, `$MEDIA_ROOT/…`, `$APP/…` or a short tail."""
    return redact(value, {"MODELS_DIR": models_dir(), "WORK_DIR": settings.DUBSITE_WORK_DIR,
                          "MEDIA_ROOT": settings.MEDIA_ROOT, "APP": settings.BASE_DIR})

_LEVELS = {
    logging.DEBUG: EventLevel.DEBUG, logging.INFO: EventLevel.INFO,
    logging.WARNING: EventLevel.WARNING, logging.ERROR: EventLevel.ERROR, logging.CRITICAL: EventLevel.ERROR,
}


def emit(job_id: int, message: str, *, level: str = EventLevel.INFO, stage: str = "", data: dict | None = None) -> JobEvent:
    return JobEvent.objects.create(job_id=job_id, message=public(message), level=level, stage=stage[:32],
                                   data=public(data or {}))


class JobEventHandler(logging.Handler):
    """Writes log records of the running job (and warnings from engines) as JobEvents."""

    def __init__(self, job_id: int, level=logging.INFO):
        super().__init__(level)
        self.job_id = job_id
        self.stage = ""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            emit(self.job_id, message, level=_LEVELS.get(record.levelno, EventLevel.INFO),
                 stage=getattr(record, "stage", self.stage), data=getattr(record, "data", None))
        except Exception:  # logging must never break the job; report like logging does
            self.handleError(record)
