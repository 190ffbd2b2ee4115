from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dubsite.audit import Context
from dubsite.errors import ApplicationError
from dubsite.http import html_errors
from dubsite.roles import has_perm, require

from voices.playback import VoiceDataLocked, wav_response
from voices.views import locked_page

from . import selectors, services
from .artifacts import Workspace
from .forms import JobForm
from .models import JobState
from .pipeline import finished_outputs
from .timeline import diarization_svg


@login_required
@html_errors
def job_new(request):
    require(request.user, "jobs.add_job")
    form = JobForm(request.POST or None, initial={"episode": request.GET.get("episode")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        two_pass = {"on": True, "off": False}.get(data["two_pass"])
        try:
            job = services.job_submit(actor=request.user, episode=data["episode"], mode=data["mode"],
                                      two_pass=two_pass, target_language=data["target_language"] or None,
                                      context=Context.from_request(request))
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Job {job.pk} queued.")
            return redirect("jobs:detail", pk=job.pk)
    return render(request, "jobs/new.html", {"form": form})


DOWNLOADS = [("mkv", "Dub (MKV)"), ("mp4", "Dub (MP4)"), ("target_srt", "Subtitles, target (SRT)"),
             ("target_vtt", "Subtitles, target (VTT)"), ("source_srt", "Subtitles, source (SRT)"),
             ("source_vtt", "Subtitles, source (VTT)"), ("tts_manifest", "TTS manifest"),
             ("refs_manifest", "Voice refs manifest"), ("diarization", "Diarization (JSON)"),
             ("translated", "Translation (JSON)"), ("qc", "QC report")]


@login_required
@html_errors
def job_detail(request, pk: int):
    job = selectors.job_get(user=request.user, pk=pk)
    workspace = Workspace(job.pk)
    outputs, _ = finished_outputs(job)
    downloads = [(label, workspace.url(job.outputs[key])) for key, label in DOWNLOADS if job.outputs.get(key)]
    context = {
        "job": job,
        "passes": job.passes.all(),
        "stages": job.stage_runs.select_related("pass_obj"),
        "events": job.events.order_by("time", "id"),
        "downloads": [(label, url) for label, url in downloads if url],
        "original_audio": workspace.url(outputs["extract"]["audio_stereo"]) if "extract" in outputs else None,
        "dub_audio": workspace.url(job.outputs["mix"]) if job.outputs.get("mix") else None,
        "has_timeline": "diarize" in outputs,
        "can_cancel": has_perm(request.user, "jobs.cancel_job", job) and not job.is_terminal,
        "can_retry": has_perm(request.user, "jobs.retry_job", job) and job.state in ("failed", "errored", "cancelled"),
        "can_rerun_pass2": has_perm(request.user, "jobs.rerun_pass2", job) and job.state == JobState.SUCCEEDED,
    }
    return render(request, "jobs/detail.html", context)


@login_required
@html_errors
def job_diarization_svg(request, pk: int):
    job = selectors.job_get(user=request.user, pk=pk)
    outputs, _ = finished_outputs(job)
    if "diarize" not in outputs:
        return HttpResponse(status=404)
    labels = {k: v["code"] for k, v in outputs.get("identify", {}).get("speakers", {}).items()}
    svg = diarization_svg(outputs["diarize"]["turns"], outputs["extract"]["duration"], labels=labels)
    return HttpResponse(svg, content_type="image/svg+xml")


@login_required
@require_GET
@html_errors
def job_ref_audio(request, job_id: int, label: str):
    """A speaker's ref of this job, decrypted, for roles that may hear voice data (URL name
    `voices:job_ref_audio`, see dubsite/urls.py). `?clone=1`: the copy made for cloning."""
    clone = request.GET.get("clone") in ("1", "true")
    try:
        job, data = selectors.job_ref_audio(user=request.user, pk=job_id, label=label, clone=clone)
    except VoiceDataLocked as exc:
        return locked_page(request, exc)
    return wav_response(data, f"job{job.pk}-{label}{'-clone' if clone else ''}.wav")


def _action(request, pk: int, service, done: str):
    job = selectors.job_get(user=request.user, pk=pk)
    try:
        service(actor=request.user, job=job, context=Context.from_request(request))
        messages.info(request, done)
    except ApplicationError as exc:
        if exc.status in (401, 403):
            raise
        messages.error(request, exc.message)
    return redirect("jobs:detail", pk=pk)


@login_required
@require_POST
@html_errors
def job_cancel(request, pk: int):
    return _action(request, pk, services.job_cancel, "Cancel requested.")


@login_required
@require_POST
@html_errors
def job_retry(request, pk: int):
    return _action(request, pk, services.job_retry, "Job re-queued.")


@login_required
@require_POST
@html_errors
def job_rerun_pass2(request, pk: int):
    return _action(request, pk, services.job_rerun_pass2, "Pass 2 queued.")
