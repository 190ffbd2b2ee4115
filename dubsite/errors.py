"""One project error: code, message, fields, HTTP status. Every API error has this JSON shape."""
from __future__ import annotations

__all__ = ["ApplicationError", "NotFound", "Forbidden", "Unauthorized", "Conflict", "Invalid", "TooLarge"]


class ApplicationError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None, status: int | None = None,
                 current: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = fields or {}
        # The object's state now, when a client needs it to recover (a stale save shows the other
        # person's text beside the editor's); absent from the body otherwise.
        self.current = current

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message, "fields": self.fields}
        if self.current is not None:
            body["current"] = self.current
        return body


class Unauthorized(ApplicationError):
    status, code = 401, "unauthenticated"


class Forbidden(ApplicationError):
    status, code = 403, "forbidden"


class NotFound(ApplicationError):
    status, code = 404, "not_found"


class Conflict(ApplicationError):
    status, code = 409, "conflict"


class TooLarge(ApplicationError):
    status, code = 413, "too_large"


class Invalid(ApplicationError):
    status, code = 422, "invalid"
