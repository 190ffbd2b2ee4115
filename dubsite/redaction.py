"""What users read names no server folder: job events, errors, stage notes, public JSON and
API error messages all pass through `public` (the rules are in media/redact.py)."""
from __future__ import annotations

import tempfile
from typing import Any

from django.conf import settings

from media.config import models_dir
from media.redact import redact

__all__ = ["public"]


def public(value: Any) -> Any:
    """`value` with server paths written `$MODELS_DIR/…`, `$WORK_DIR/…`, `$MEDIA_ROOT/…`, `$APP/…`,
    `$TMP/…` (upload temp files), other absolute paths as a short tail."""
    return redact(value, {"MODELS_DIR": models_dir(), "WORK_DIR": settings.DUBSITE_WORK_DIR,
                          "MEDIA_ROOT": settings.MEDIA_ROOT, "APP": settings.BASE_DIR,
                          "TMP": settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()})
