"""URLs of the Characters page, joined to the `series:` namespace by dubsite/urls.py (the catalog's
own urls cannot name these views: `series` does not import `voices`)."""
from django.urls import path

from . import character_pages as views

series_urlpatterns = [
    path("<slug:slug>/characters/", views.characters, name="characters"),
    path("<slug:slug>/characters/new/", views.character_new, name="character_new"),
    path("<slug:slug>/characters/<int:pk>/edit/", views.character_edit, name="character_edit"),
    path("<slug:slug>/characters/<int:pk>/delete/", views.character_delete_page, name="character_delete"),
    path("<slug:slug>/characters/merge/", views.character_merge_page, name="character_merge"),
    path("<slug:slug>/characters/merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
    path("<slug:slug>/characters/voice-preview.wav", views.voice_preview_wav, name="voice_preview"),
]
