"""Review reads restricted to the requesting user."""
from __future__ import annotations

from django.db.models import QuerySet

from dubsite.errors import NotFound
from dubsite.roles import require

from .models import Segment


def segment_list(*, user, job_id: int) -> QuerySet[Segment]:
    require(user, "review.view_segment")
    return Segment.objects.filter(job_id=job_id).select_related("character").order_by("index")


def segment_get(*, user, pk: int) -> Segment:
    require(user, "review.view_segment")
    segment = Segment.objects.select_related("character").filter(pk=pk).first()
    if segment is None:
        raise NotFound(f"no line {pk}")
    return segment
