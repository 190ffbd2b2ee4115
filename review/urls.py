"""URLs of the review page, mounted under /jobs/<job_id>/review/ by dubsite/urls.py."""
from django.urls import path

from . import views

app_name = "review"
urlpatterns = [
    path("", views.review_page, name="page"),
]
