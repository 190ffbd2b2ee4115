"""What every API module shares: the error body, the error statuses an operation declares, and
the bounds of ids, numbers and texts, so the OpenAPI schema states what the server enforces."""
from __future__ import annotations

from typing import Annotated

from ninja import Path, Schema
from pydantic import BeforeValidator, ConfigDict, Field

from .errors import Invalid

__all__ = [
    "ErrorOut", "errors", "StrictSchema", "ID_MAX", "NUMBER_MAX", "SLUG_PATTERN", "TEXT_PATTERN", "PATTERN_HELP",
    "Id", "IdPath", "Slug", "Version", "CLOSED_MULTIPART", "refuse_unknown_form_fields",
]

# Primary keys are 64-bit (BigAutoField); anything larger cannot name a row and would overflow the database.
ID_MAX = 2**63 - 1
# Season and episode numbers (PositiveIntegerField holds 2**31 - 1; no series needs more than this).
NUMBER_MAX = 9999
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"  # Django's SlugField
# One line of text without control characters (PostgreSQL refuses NUL in text; tabs and newlines are junk here).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
# What a pattern means, for the error message a person reads (pydantic would print the regex).
PATTERN_HELP = {
    SLUG_PATTERN: "use letters, digits, hyphens and underscores only",
    TEXT_PATTERN: "must not contain control characters (NUL, tab, newline…)",
}


def _json_integer(value):
    """A JSON integer: 590 or 590.0 (JSON Schema counts both), never true, "590" or 590.5."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    return value


Id = Annotated[int, Field(ge=1, le=ID_MAX), BeforeValidator(_json_integer)]
IdPath = Annotated[int, Path(description="id (1 to 2**63-1)", ge=1, le=ID_MAX)]
Slug = Annotated[str, Field(min_length=1, max_length=80, pattern=SLUG_PATTERN)]
# A row's optimistic-concurrency version (PositiveIntegerField), as a client read it.
Version = Annotated[int, Field(ge=1, le=2**31 - 1), BeforeValidator(_json_integer)]


class ErrorOut(Schema):
    """Every API error: a stable machine-readable `code`, a sentence for people, and per-field reasons."""

    code: str = Field(description="bad_request, unauthenticated, forbidden, not_found, conflict (for a review "
                                  "line also stale_version or locked), too_large, invalid, range_not_satisfiable "
                                  "(audio: a Range past the end)")
    message: str
    fields: dict[str, str] = Field(description="input field → what is wrong with it (empty when no field is to "
                                               "blame)")
    current: dict | None = Field(None, description="only on a 409 for a stale version: the object's state now "
                                                   "(for a line: target_text, version, changed_by, changed_at…)")


def errors(*codes: int) -> dict[int, type[ErrorOut]]:
    """The error statuses an operation can answer, for its `response=` mapping (documented in OpenAPI).

    The usual ones: 400 a body that cannot be parsed (or has too many fields); 401 no or bad
    credentials; 403 the role lacks the permission (or a session write lacks its CSRF token); 404 a
    named object does not exist; 409 the object's state forbids it; 413 an upload over its limit or a
    JSON body over 10 MiB; 422 an input out of range, missing or unknown."""
    return {code: ErrorOut for code in sorted(codes)}


# For an upload's `openapi_extra`: the form takes only the fields it documents (see refuse_unknown_form_fields).
CLOSED_MULTIPART = {"requestBody": {"content": {"multipart/form-data": {"schema": {"additionalProperties": False}}}}}


class StrictSchema(Schema):
    """A JSON body schema that takes the schema at its word: fields it does not know are refused (a
    typo or a read-only field is an error, not silently ignored), and values must have the JSON type
    the schema states (`0` is not `false`, `"1"` is not `1`)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def refuse_unknown_form_fields(request, *, fields: set[str], files: set[str]) -> None:
    """Multipart has no schema object to forbid extras: a mistyped field (`seasn`) is an error, not ignored."""
    unknown = sorted((set(request.POST) - fields) | (set(request.FILES) - files))
    if unknown:
        raise Invalid(f"unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
                      fields={k: "unknown field" for k in unknown})
