"""The editors' review page of one job's lines. Thin: the data comes from `board`, every write goes
through the API (which checks the permissions again); the template only hides what a role may not use.
Views may call `jobs` (the job's own permission and episode); review's models and services never do."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dubsite.http import html_errors
from dubsite.roles import has_perm, require
from jobs import selectors as job_selectors

from .board import Filters, review_board
from .editing import TEXT_MAX

__all__ = ["review_page"]


@login_required
@require_GET
@html_errors
def review_page(request, job_id: int):
    job = job_selectors.job_get(user=request.user, pk=job_id)
    require(request.user, "review.view_segment", job)
    try:
        page = int(request.GET.get("page") or 1)
    except ValueError:
        page = 1
    board = review_board(user=request.user, job_id=job.pk, filters=Filters.from_query(request.GET), page=page,
                         duration=job.episode.duration or None)
    user = request.user
    can = {
        "can_edit": has_perm(user, "review.change_segment", job),
        "can_approve": has_perm(user, "review.approve_segment", job),
        "can_lock": has_perm(user, "review.lock_segment", job),
        "can_regenerate": has_perm(user, "review.regenerate_segment", job),
        # Spots for the pass-level actions (see the template's `review_actions` block):
        # "Synthesize approved" for operators and admins, "Retranslate flagged" for editors.
        "can_synthesize": has_perm(user, "jobs.synthesize_job", job),
    }
    can["can_retranslate"] = can["can_edit"]
    config = {"job": job.pk, "textMax": TEXT_MAX, "budgetCap": 1.35,
              **{key[4:]: value for key, value in can.items()}}
    return render(request, "review/page.html", {"job": job, "board": board, "config": config, **can})
