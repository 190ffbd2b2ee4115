"""Job events: the explainable log of a job (engine choices, counts, failures, tracebacks)."""
from __future__ import annotations

import logging

from dubsite.redaction import public

from .models import EventLevel, JobEvent

__all__ = ["emit", "public", "JobEventHandler"]


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
