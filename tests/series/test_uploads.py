"""Upload validation: non-media, empty, oversized refused clearly, nothing stored; a name with a path is
reduced to its last part and never chooses where the file is stored."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dubsite.errors import Invalid, TooLarge
from series.models import Episode
from series.services import episode_create
from tests.factories import make_series, make_user, make_video

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    c = Client()
    c.force_login(make_user("operator"))
    return c


def post(client, series, name, data, content_type="video/mp4"):
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post("/api/episodes", {"series": series.slug, "season": 1, "number": 1, "file": upload})


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "episodes"
    return list(root.rglob("*")) if root.exists() else []


def test_non_media_file_is_refused(client):
    series = make_series()
    before = stored_files()
    response = post(client, series, "notes.mp4", b"these are meeting notes, not a video\n" * 50)
    assert response.status_code == 422
    assert "not a readable media file" in response.json()["message"]
    assert Episode.objects.count() == 0 and stored_files() == before


def test_empty_file_is_refused(client):
    response = post(client, make_series(), "empty.mp4", b"")
    assert response.status_code == 422
    assert "empty" in response.json()["message"]


def test_file_over_the_limit_is_refused(client, settings, tmp_path):
    settings.DUBSITE_MAX_UPLOAD_BYTES = 1000
    video = make_video(tmp_path / "big.mp4")
    response = post(client, make_series(), "big.mp4", video.read_bytes())
    assert response.status_code == 413
    assert "limit" in response.json()["message"] and response.json()["code"] == "too_large"


def test_video_without_audio_is_refused(client, tmp_path):
    video = make_video(tmp_path / "mute.mp4", audio=False)
    response = post(client, make_series(), "mute.mp4", video.read_bytes())
    assert response.status_code == 422
    assert "no audio stream" in response.json()["message"]


def test_unsupported_extension_is_refused(client, tmp_path):
    video = make_video(tmp_path / "clip.mp4")
    response = post(client, make_series(), "clip.exe", video.read_bytes())
    assert response.status_code == 422 and "unsupported file type" in response.json()["message"]


@pytest.mark.parametrize("name", ["../../etc/cron.d/evil.mp4", "..\\..\\evil.mp4", "/abs/evil.mp4", "a/../../evil.mp4",
                                  "C:\\Users\\me\\evil.mp4", "ev\x00il.mp4"])
def test_a_name_with_a_path_is_reduced_to_its_last_part_by_the_service(name, tmp_path):
    """Callers that hand the service a File with their own name (CLI, imports) get the rule HTTP
    uploads get from Django's parser: the name is a label, only its last part counts, and the
    stored file is always inside episodes/<series>/sNN/."""
    import io

    from django.core.files import File

    video = make_video(tmp_path / "clip.mp4")
    series = make_series()
    episode = episode_create(actor=make_user("operator"), series=series, season_number=1, number=1,
                             upload=File(io.BytesIO(video.read_bytes()), name=name))
    assert episode.source_name == "evil.mp4"
    stored = Path(episode.source_video.path).resolve()
    assert stored == Path(settings.MEDIA_ROOT).resolve() / "episodes" / series.slug / "s01" / "evil.mp4"


@pytest.mark.parametrize("name", ["", "..", "dir/", "\x00"])
def test_a_name_with_nothing_left_is_refused(name, tmp_path):
    import io

    from django.core.files import File

    with pytest.raises(Invalid) as err:
        episode_create(actor=make_user("operator"), series=make_series(), season_number=1, number=1,
                       upload=File(io.BytesIO(b"x" * 10), name=name))
    assert err.value.fields == {"file": "the file name is empty"}
    assert Episode.objects.count() == 0


def test_traversal_through_the_api_cannot_leave_the_storage_root(client, tmp_path):
    """Django's multipart parser keeps only the base name; the stored file stays in our folder."""
    video = make_video(tmp_path / "clip.mp4")
    response = post(client, make_series(slug="safe"), "../../../../tmp/evil.mp4", video.read_bytes())
    assert response.status_code == 201
    episode = Episode.objects.get()
    stored = Path(episode.source_video.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve() / "episodes" / "safe")


def test_valid_upload_records_probe_and_checksum(client, tmp_path):
    import hashlib

    video = make_video(tmp_path / "My Episode (1).mp4", seconds=3)
    response = post(client, make_series(slug="ok"), video.name, video.read_bytes())
    assert response.status_code == 201
    episode = Episode.objects.get()
    assert episode.source_sha256 == hashlib.sha256(video.read_bytes()).hexdigest()
    assert abs(episode.duration - 3.0) < 0.1
    kinds = sorted(s["kind"] for s in episode.streams["streams"])
    assert kinds == ["audio", "video"]
    assert Path(episode.source_video.name).name == "My_Episode_1.mp4"


def test_service_refuses_too_large_before_reading(settings, tmp_path):
    settings.DUBSITE_MAX_UPLOAD_BYTES = 10
    with pytest.raises(TooLarge):
        episode_create(actor=make_user("operator"), series=make_series(), season_number=1, number=1,
                       upload=SimpleUploadedFile("a.mp4", b"x" * 100))
