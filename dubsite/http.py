"""HTML-view glue: service errors become Django's 403/404 pages."""
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .errors import Forbidden, NotFound, Unauthorized


def html_errors(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (Forbidden, Unauthorized) as exc:
            raise PermissionDenied(exc.message) from exc
        except NotFound as exc:
            raise Http404(exc.message) from exc
    return wrapper
