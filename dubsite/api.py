"""The NinjaAPI at /api/: session auth (CSRF) for the browser, bearer tokens for scripts,
and one JSON error shape {code, message, fields} for every failure."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from .errors import ApplicationError
from .roles import roles_of
from .tokens import authenticate_token


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = authenticate_token(token)
        if user is not None:
            request.user = user  # services and selectors read request.user
        return user


api = NinjaAPI(
    title="dubsite API",
    version="1",
    description="Series, episodes, jobs and review lines. Authenticate with the session (browser, CSRF) "
                "or `Authorization: Bearer <token>` (create tokens with `manage.py token create USER`).",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api",
)


def _error(request, status: int, code: str, message: str, fields: dict | None = None):
    return api.create_response(request, {"code": code, "message": message, "fields": fields or {}}, status=status)


@api.exception_handler(ApplicationError)
def _application_error(request, exc: ApplicationError):
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


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


@api.exception_handler(NinjaValidationError)
def _ninja_validation(request, exc: NinjaValidationError):
    fields = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "form", "file", "payload")]
        fields[".".join(loc) or "request"] = err.get("msg", "invalid")
    return _error(request, 422, "invalid", "the request is invalid", fields)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 413: "too_large"}.get(
        exc.status_code, "error")
    return _error(request, exc.status_code, code, str(exc))


class MeOut(Schema):
    username: str
    roles: list[str]


@api.get("/me", response=MeOut, tags=["auth"], summary="Who am I (username and roles)")
def me(request):
    return {"username": request.user.get_username(), "roles": roles_of(request.user)}


def _mount() -> None:
    from jobs.api import router as jobs_router
    from series.api import episodes_router, series_router
    from voices.api import router as voices_router

    api.add_router("/series", series_router)
    api.add_router("/episodes", episodes_router)
    api.add_router("/jobs", jobs_router)
    api.add_router("/characters", voices_router)


_mount()
