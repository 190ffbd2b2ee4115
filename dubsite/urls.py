from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from jobs.views import job_ref_audio
from series import urls as series_urls
from voices import character_urls
from voices.urls import urlpatterns as voice_urls

from .api import api
from .views import dashboard, models_status

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/models/", admin.site.admin_view(models_status), name="models_status"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    # the catalog's pages and, in the same `series:` namespace, the Characters page (voices)
    path("series/", include((series_urls.urlpatterns + character_urls.series_urlpatterns, "series"))),
    # the review page of a job's lines (a `review` view: review must not be imported by jobs' urls)
    path("jobs/<int:job_id>/review/", include("review.urls")),
    path("jobs/", include("jobs.urls")),
    # every URL that plays voice data is `voices:<name>`; the job-ref view is a jobs view
    # (voices must not import jobs), so the namespace is assembled here
    path("voices/", include(([*voice_urls,
                              path("jobs/<int:job_id>/speakers/<str:label>/ref", job_ref_audio,
                                   name="job_ref_audio")], "voices"))),
]

if settings.DEBUG or not getattr(settings, "AWS_STORAGE_BUCKET_NAME", ""):
    # Local storage: serve artifacts behind a login check (not through a public static route).
    from .views import media_file

    urlpatterns.append(path("media/<path:name>", media_file, name="media"))
