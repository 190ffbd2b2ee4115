"""/voices/: routes that play voice data. dubsite/urls.py adds the job-ref route (a jobs view)
under the same namespace, so every voice-data URL is `voices:<name>`."""
from django.urls import path

from . import views

app_name = "voices"
urlpatterns = [
    path("refs/<int:ref_id>/audio", views.ref_audio, name="ref_audio"),
]
