"""The NinjaAPI at /api/: session auth (CSRF) for the browser, bearer tokens for scripts,
and one JSON error shape {code, message, fields} for every failure."""
from __future__ import annotations

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError as DjangoValidationError,
)
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Schema, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from .errors import ApplicationError
from .redaction import public
from .roles import roles_of
from .schemas import PATTERN_HELP, errors
from .tokens import authenticate_token


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = authenticate_token(token)
        if user is not None:
            request.user = user  # services and selectors read request.user
        return user


class SessionCsrfAuth(SessionAuth):
    """Django's session, with CSRF checked for a logged-in session only: an anonymous request has
    no session to forge, so it gets 401 "authentication required", not a confusing CSRF 403."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


api = NinjaAPI(
    title="dubsite API",
    version="1",
    description="Series, episodes, jobs and review lines. Authenticate with the session (browser, CSRF) "
                "or `Authorization: Bearer <token>` (create tokens with `manage.py token create USER`). "
                "Every error is `{code, message, fields}`; each operation lists the error statuses it answers.",
    auth=[TokenAuth(), SessionCsrfAuth(csrf=True)],
    urls_namespace="api",
    # Swagger UI from our static files ("ninja" is an installed app); no validator badge, which
    # would send the schema's URL to validator.swagger.io
    docs=Swagger(settings={"validatorUrl": None}),
)


def _error(request, status: int, code: str, message: str, fields: dict | None = None, current: dict | None = None):
    fields = {str(k): str(v) for k, v in (fields or {}).items()}
    body = {"code": code, "message": public(message), "fields": public(fields)}
    if current is not None:  # user data (a line's text): shown as it is, not redacted
        body["current"] = current
    return api.create_response(request, body, status=status)


@api.exception_handler(ApplicationError)
def _application_error(request, exc: ApplicationError):
    return _error(request, exc.status, exc.code, exc.message, exc.fields, exc.current)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(request, 401, "unauthenticated", "authentication required (session or bearer token)")


@api.exception_handler(PermissionDenied)
def _permission_denied(request, exc):
    return _error(request, 403, "forbidden", str(exc) or "permission denied")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", str(exc) or "not found")


@api.exception_handler(DjangoValidationError)
def _django_validation(request, exc: DjangoValidationError):
    fields = exc.message_dict if hasattr(exc, "error_dict") else {}
    return _error(request, 422, "invalid", "; ".join(exc.messages), {k: "; ".join(v) for k, v in fields.items()})


def _field_name(loc) -> str:
    """ninja's error location is (source, [body param,] field...): name the field a client sent."""
    parts = [str(p) for p in loc[1:]]
    if parts[:1] == ["payload"]:  # the JSON body's schema parameter, not a field of the body
        parts = parts[1:] or ["body"]
    return ".".join(parts) or str(loc[0] if loc else "request")


def _reason(err: dict) -> str:
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown or read-only field"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_HELP:
        return PATTERN_HELP[ctx["pattern"]]
    if kind == "literal_error" and len(str(ctx.get("expected", ""))) > 120:
        return "not one of the allowed values (listed in the API schema, /api/openapi.json)"
    return err.get("msg", "invalid")


@api.exception_handler(NinjaValidationError)
def _ninja_validation(request, exc: NinjaValidationError):
    fields: dict[str, str] = {}
    for err in exc.errors:
        fields.setdefault(_field_name(err.get("loc", ())), _reason(err))
    named = ", ".join(f"{k} ({v})" for k, v in fields.items())
    return _error(request, 422, "invalid", f"invalid input: {named}", fields)


_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict",
          413: "too_large", 422: "invalid"}


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = "the request body is not valid JSON"
    return _error(request, exc.status_code, _CODES.get(exc.status_code, "error"), message)


@api.exception_handler(SuspiciousOperation)
def _bad_request(request, exc):
    """Django refuses a malformed or oversized request body (too many fields, over the memory limit)."""
    if isinstance(exc, RequestDataTooBig):
        return _error(request, 413, "too_large", "the request body is too large (JSON and form fields: 10 MiB)")
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return _error(request, 400, "bad_request", "the request has too many fields or files")
    return _error(request, 400, "bad_request", "the request is malformed")


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request, exc):
    return _error(request, 400, "bad_request", "the multipart body is malformed")


@api.exception_handler(BadRequest)
def _bad_request_plain(request, exc):
    return _error(request, 400, "bad_request", "the request is malformed")


class MeOut(Schema):
    username: str
    roles: list[str]


@api.get("/me", response={200: MeOut, **errors(401)}, tags=["auth"], summary="Who am I (username and roles)")
def me(request):
    return {"username": request.user.get_username(), "roles": roles_of(request.user)}


def _mount() -> None:
    from jobs.api import router as jobs_router
    from jobs.speakers_api import router as speakers_router
    from review.api import job_lines_router, lines_router
    from review.takes_api import takes_router
    from series.api import episodes_router, series_router
    from voices.api import refs_router as voice_refs_router, router as voices_router
    from voices.characters_api import characters_router, merges_router, series_router as series_characters_router

    api.add_router("/series", series_router)
    api.add_router("/series", series_characters_router)
    api.add_router("/episodes", episodes_router)
    api.add_router("/jobs", jobs_router)
    api.add_router("/jobs", speakers_router)
    api.add_router("/jobs", job_lines_router)
    api.add_router("/lines", lines_router)
    api.add_router("/lines", takes_router)
    api.add_router("/characters", voices_router)
    api.add_router("/characters", characters_router)
    api.add_router("/merges", merges_router)
    api.add_router("/voices", voice_refs_router)


_mount()
