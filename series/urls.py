from django.urls import path

from . import views

app_name = "series"
urlpatterns = [
    path("new/", views.series_new, name="new"),
    path("<slug:slug>/", views.series_detail, name="detail"),
    path("<slug:slug>/episodes/new/", views.episode_new, name="episode_new"),
]
