from django.urls import path

from . import qc_views, views

app_name = "jobs"
urlpatterns = [
    path("new/", views.job_new, name="new"),
    path("<int:pk>/", views.job_detail, name="detail"),
    path("<int:pk>/cancel/", views.job_cancel, name="cancel"),
    path("<int:pk>/retry/", views.job_retry, name="retry"),
    path("<int:pk>/rerun-pass2/", views.job_rerun_pass2, name="rerun_pass2"),
    path("<int:pk>/synthesize/", views.job_synthesize, name="synthesize"),
    path("<int:pk>/reidentify/", views.job_reidentify, name="reidentify"),
    path("<int:pk>/speakers/<str:label>/assign/", views.speaker_assign_view, name="speaker_assign"),
    path("<int:pk>/speakers/<str:label>/enroll/", views.speaker_enroll_view, name="speaker_enroll"),
    path("<int:pk>/qc/", qc_views.job_qc_report, name="qc_report"),
    path("<int:pk>/qc/<str:name>.svg", qc_views.job_qc_picture, name="qc_picture"),
    path("series/<int:series_pk>/drift.svg", qc_views.series_drift_svg, name="series_drift"),
    path("<int:pk>/diarization.svg", views.job_diarization_svg, name="diarization_svg"),
]
