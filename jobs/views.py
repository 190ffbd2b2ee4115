from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dubsite.audit import Context
from dubsite.errors import ApplicationError, Invalid
from dubsite.http import html_errors
from dubsite.roles import has_perm, require
from series.models import Character
from voices.speakers import speaker_assign

from voices.playback import VoiceDataLocked, wav_response
from voices.views import locked_page

from . import selectors, services
from .artifacts import Workspace
from .forms import JobForm
from .models import JobState
from .pipeline import finished_outputs
from .speakers import job_ref_name, job_refs, job_speaker_enroll, speaker_get, speaker_list
from .qc_views import PICTURES, load_qc
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


def _qc_panel(job) -> dict:
    qc = load_qc(job)
    if qc is None:
        return {"qc": None}
    return {"qc": qc, "qc_pictures": list(PICTURES), "qc_flagged": sum(1 for ln in qc["lines"] if ln.get("flags"))}


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
        **_qc_panel(job),
        "can_cancel": has_perm(request.user, "jobs.cancel_job", job) and not job.is_terminal,
        "can_retry": has_perm(request.user, "jobs.retry_job", job) and job.state in ("failed", "errored", "cancelled"),
        "can_rerun_pass2": has_perm(request.user, "jobs.rerun_pass2", job) and job.state == JobState.SUCCEEDED,
        "can_synthesize": has_perm(request.user, "jobs.synthesize_job", job) and job.state == JobState.SUCCEEDED,
        **_speakers_panel(request.user, job),
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


@login_required
@require_POST
@html_errors
def job_synthesize(request, pk: int):
    return _action(request, pk, services.job_synthesize_approved,
                   "Synthesize approved queued: only the lines that changed are spoken again.")


def _speakers_panel(user, job) -> dict:
    """The Speakers panel: who each label speaks as; audio and forms only for the roles that may use them."""
    if not has_perm(user, "voices.view_episodespeaker", job):
        return {"speakers": None}
    speakers = list(speaker_list(user=user, job=job))
    can_hear = has_perm(user, "voices.view_voiceref", job)
    refs = job_refs(job)
    for speaker in speakers:
        speaker.has_ref = job_ref_name(job, speaker.label, refs) is not None
        # the player asks for the analysis ref, or the clone copy when only that was kept
        speaker.play_clone = not (refs.get(speaker.label) or {}).get("path")
    can_assign = has_perm(user, "voices.assign_episodespeaker", job)
    return {
        "speakers": speakers,
        "can_hear_refs": can_hear,
        "can_assign": can_assign,
        "can_enroll": has_perm(user, "voices.add_voiceref", job),
        "can_reidentify": job.is_terminal and any(has_perm(user, p, job) for p in services.REIDENTIFY_PERMS),
        "assignable": list(Character.objects.filter(series=job.episode.season.series, merged_into__isnull=True)
                           .order_by("code")) if can_assign else [],
    }


@login_required
@require_POST
@html_errors
def speaker_assign_view(request, pk: int, label: str):
    job = selectors.job_get(user=request.user, pk=pk)
    speaker = speaker_get(user=request.user, job=job, label=label)
    require(request.user, "voices.assign_episodespeaker", speaker)
    new_name = request.POST.get("new_name", "").strip()
    choice = request.POST.get("character", "")

    def assign():
        character = None
        if not new_name:
            character = Character.objects.filter(pk=int(choice) if choice.isdigit() else 0).first()
            if character is None:
                raise Invalid("choose a character or give a new name", fields={"character": "required"})
        speaker_assign(actor=request.user, speaker=speaker, character=character, new_name=new_name or None,
                       context=Context.from_request(request))

    return _speaker_action(request, pk, assign, f"{label} assigned; re-run from identify so lines and voices follow.")


@login_required
@require_POST
@html_errors
def speaker_enroll_view(request, pk: int, label: str):
    job = selectors.job_get(user=request.user, pk=pk)
    return _speaker_action(request, pk, lambda: job_speaker_enroll(actor=request.user, job=job, label=label,
                                                                   context=Context.from_request(request)),
                           f"The ref of {label} is now its character's series ref.")


@login_required
@require_POST
@html_errors
def job_reidentify(request, pk: int):
    return _action(request, pk, services.job_reidentify, "Job re-queued from identify.")


def _speaker_action(request, pk: int, call, done: str):
    try:
        call()
        messages.success(request, done)
    except ApplicationError as exc:
        if exc.status in (401, 403, 404):
            raise
        messages.error(request, exc.message)
    return redirect("jobs:detail", pk=pk)
