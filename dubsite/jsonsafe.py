"""JSON that every database accepts: no NaN or ±Infinity.

PostgreSQL's jsonb refuses `-Infinity` (Python's json writes it by default), so one engine's
"-inf dB" used to end a job errored on PostgreSQL while SQLite stored it. Engines report
meaningful floors instead (see media/loudness.py); this encoder is the last guard on every
JSONField that holds engine figures: a non-finite number is stored as null, never as an error.
"""
from __future__ import annotations

import math
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

__all__ = ["finite", "FiniteJSONEncoder"]


def finite(value: Any) -> Any:
    """A copy of a JSON-able value with every NaN/±inf float replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


class FiniteJSONEncoder(DjangoJSONEncoder):
    def encode(self, o: Any) -> str:
        return super().encode(finite(o))
