"""The series' Characters page and its forms: new, edit (rename, notes, lock, voice), delete and
merge with confirmation pages, undo a merge, and a voice preview. Views check permissions too (the
services do again); templates only hide what a role may not use."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dubsite.audit import Context
from dubsite.errors import ApplicationError, NotFound
from dubsite.http import html_errors
from dubsite.roles import has_perm, require
from series import services as catalog
from series.models import Character
from series.selectors import series_get
from series.voicekeys import available_voices

from .characters import character_delete, character_holdings
from .merge import character_merge, character_merge_preview, character_merge_undo, undoable_merges
from .models import CharacterMerge
from .preview import voice_preview
from .roster import character_roster

__all__ = ["characters", "character_new", "character_edit", "character_delete_page", "character_merge_page",
           "merge_undo", "voice_preview_wav"]


class CharacterForm(forms.Form):
    display_name = forms.CharField(max_length=100, required=False, label="Name")
    notes = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 40}))
    voice = forms.CharField(max_length=200, required=False, help_text="empty: jobs choose a voice")
    voice_locked = forms.BooleanField(required=False, label="Lock voice")


def _character(series, pk: int) -> Character:
    character = Character.objects.select_related("series", "merged_into").filter(series=series, pk=pk).first()
    if character is None:
        raise NotFound(f"{series.slug} has no character {pk}")
    return character


def _back(series):
    return redirect("series:characters", slug=series.slug)


def _run(request, call, done: str) -> bool:
    """A service call from a form: its refusal (not a permission one) becomes a message on the page."""
    try:
        call()
    except ApplicationError as exc:
        if exc.status in (401, 403, 404):
            raise
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


@login_required
@require_GET
@html_errors
def characters(request, slug: str):
    series = series_get(user=request.user, slug=slug)
    user = request.user
    can_edit = has_perm(user, "series.change_character", series)
    can_add = has_perm(user, "series.add_character", series)
    entries = character_roster(user=user, series=series)
    return render(request, "series/characters.html", {
        "series": series, "entries": entries,
        "can_edit": can_edit, "can_add": can_add,
        "can_hear": has_perm(user, "voices.view_voiceref", series),
        "can_delete": has_perm(user, "series.delete_character", series),
        "can_merge": has_perm(user, "voices.merge_character", series),
        "voices": available_voices(series.target_language) if can_edit or can_add else [],
        "merges": undoable_merges(series) if has_perm(user, "voices.merge_character", series) else [],
    })


@login_required
@require_POST
@html_errors
def character_new(request, slug: str):
    series = series_get(user=request.user, slug=slug)
    require(request.user, "series.add_character", series)
    form = CharacterForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"New character: {form.errors.as_text()}")
        return _back(series)
    _run(request, lambda: catalog.character_create(actor=request.user, series=series,
                                                   context=Context.from_request(request), **form.cleaned_data),
         f"Character {form.cleaned_data['display_name'] or '(unnamed)'} created.")
    return _back(series)


@login_required
@require_POST
@html_errors
def character_edit(request, slug: str, pk: int):
    series = series_get(user=request.user, slug=slug)
    character = _character(series, pk)
    require(request.user, "series.change_character", character)
    form = CharacterForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{character.code}: {form.errors.as_text()}")
        return _back(series)
    _run(request, lambda: catalog.character_update(actor=request.user, character=character,
                                                   context=Context.from_request(request), **form.cleaned_data),
         f"{character.code} saved.")
    return _back(series)


@login_required
@html_errors
def character_delete_page(request, slug: str, pk: int):
    """GET: what the delete scrubs; POST: delete."""
    series = series_get(user=request.user, slug=slug)
    character = _character(series, pk)
    require(request.user, "series.delete_character", character)
    if request.method == "POST":
        if _run(request, lambda: character_delete(actor=request.user, character=character,
                                                  context=Context.from_request(request)),
                f"{character.code} deleted with its refs and embeddings."):
            return _back(series)
    aliases = list(Character.objects.filter(merged_into=character))
    return render(request, "series/character_delete.html", {
        "series": series, "character": character, "aliases": aliases,
        "holdings": character_holdings([character.pk, *[a.pk for a in aliases]])})


def _pick(series, request, name: str) -> Character:
    try:
        return _character(series, int(request.GET.get(name) or request.POST.get(name) or 0))
    except ValueError as exc:
        raise NotFound(f"no character {name}") from exc


@login_required
@html_errors
def character_merge_page(request, slug: str):
    """GET ?source=B&target=A: what moves; POST: merge B into A."""
    series = series_get(user=request.user, slug=slug)
    require(request.user, "voices.merge_character", series)
    source, target = _pick(series, request, "source"), _pick(series, request, "target")
    if request.method == "POST":
        _run(request, lambda: character_merge(actor=request.user, source=source, target=target,
                                              context=Context.from_request(request)),
             f"{source.code} merged into {target.code}; it is now an alias.")
        return _back(series)
    try:
        preview = character_merge_preview(user=request.user, source=source, target=target)
    except ApplicationError as exc:
        if exc.status in (401, 403, 404):
            raise
        messages.error(request, exc.message)
        return _back(series)
    return render(request, "series/character_merge.html", {"series": series, "preview": preview})


@login_required
@require_POST
@html_errors
def merge_undo(request, slug: str, pk: int):
    series = series_get(user=request.user, slug=slug)
    require(request.user, "voices.merge_character", series)
    merge = CharacterMerge.objects.select_related("source", "target").filter(series=series, pk=pk).first()
    if merge is None:
        raise NotFound(f"{series.slug} has no merge {pk}")
    _run(request, lambda: character_merge_undo(actor=request.user, merge=merge, context=Context.from_request(request)),
         f"Merge of {merge.source.code} into {merge.target.code} undone.")
    return _back(series)


@login_required
@require_GET
@html_errors
def voice_preview_wav(request, slug: str):
    """A preset voice saying a short sentence in the series' language (cached per voice)."""
    series = series_get(user=request.user, slug=slug)
    require(request.user, "series.view_character", series)
    try:
        data = voice_preview(request.GET.get("voice", ""), series.target_language)
    except ApplicationError as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain")
    response = HttpResponse(data, content_type="audio/wav")
    response["Cache-Control"] = "private, max-age=86400"
    return response
