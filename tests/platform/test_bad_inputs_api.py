"""The API under a careless user and an attacker: a corpus of bad inputs, each answered with the right
status, a message that names the field, no server path anywhere in the body, and nothing left behind
(no Series/Season/Episode rows, no stored files, no temporary files).

Uploads are sent as raw multipart bodies so that hostile file names reach the server as written
(Django's test client would strip a path from the name before sending it)."""
from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from django.conf import settings
from django.test import Client

from series.models import Character, Episode, Season, Series
from tests.factories import make_series, make_user, make_video
from voices.models import VoiceRef

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- media made once per session


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=60)


def _tone(path: Path, *, seconds: float = 1.0, rate: int = 44100, channels: int = 1) -> Path:
    _ffmpeg("-f", "lavfi", "-i", f"sine=frequency=220:sample_rate={rate}:duration={seconds}", "-ac", str(channels),
            str(path))
    return path


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("bad-inputs")
    good = make_video(d / "good.mp4", seconds=1.0).read_bytes()
    return {
        "good": good,
        "truncated": good[: len(good) * 6 // 10],  # the moov atom is at the end: gone
        "mute": make_video(d / "mute.mp4", seconds=1.0, audio=False).read_bytes(),
        "short": _tone(d / "short.wav", seconds=0.2).read_bytes(),
        "sr1k": _tone(d / "sr1k.wav", rate=1000).read_bytes(),
        "sr192k": _tone(d / "sr192k.wav", rate=192000).read_bytes(),
        "ch8": _tone(d / "ch8.wav", rate=48000, channels=8).read_bytes(),
        "ref3s": _tone(d / "ref3s.wav", seconds=3.0, rate=22050).read_bytes(),
        "random": os.urandom(64 * 1024),
        "text": b"these are meeting notes, not a video\n" * 100,
        "empty": b"",
    }


# ---------------------------------------------------------------- requests


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body with file names exactly as given (paths, NUL bytes, RTL marks...)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + str(value).encode() + b"\r\n")
    for name, (filename, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="'.encode()
                     + filename.encode("utf-8") + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@dataclass
class Ctx:
    client: Client
    series: Series
    character: Character
    media: dict[str, bytes]

    def upload(self, *, file: tuple[str, bytes] | None = None, extra_files: dict | None = None, **form):
        fields = {"series": self.series.slug, "season": 1, "number": 1, "title": "Pilot"}
        fields.update(form)
        fields = {k: v for k, v in fields.items() if v is not None}
        files = ({"file": file} if file else {}) | (extra_files or {})
        body, ctype = multipart(fields, files)
        return self.client.post("/api/episodes", body, content_type=ctype)

    def upload_file(self, name: str, key: str, **form):
        return self.upload(file=(name, self.media[key]), **form)

    def ref(self, name: str, key: str | None, *, extra: dict | None = None, character_id=None):
        files = ({"file": (name, self.media[key])} if key else {}) | (extra or {})
        body, ctype = multipart({}, files)
        target = self.character.pk if character_id is None else character_id
        return self.client.post(f"/api/characters/{target}/refs", body, content_type=ctype)

    def json(self, method: str, url: str, data):
        body = data if isinstance(data, (str, bytes)) else __import__("json").dumps(data)
        return getattr(self.client, method)(url, body, content_type="application/json")


@dataclass
class Case:
    id: str
    send: Callable[[Ctx], object]
    status: int
    field: str | None = None  # the field `fields` must name (None: no field to blame)
    says: str = ""  # words the message or the field's reason must contain
    check: Callable[[Ctx, dict], None] | None = None


def _stored_inside_the_series_folder(ctx: Ctx, body: dict) -> None:
    episode = Episode.objects.get(pk=body["id"])
    stored = Path(episode.source_video.path).resolve()
    assert stored.parent == Path(settings.MEDIA_ROOT).resolve() / "episodes" / ctx.series.slug / "s01"
    assert body["source_name"] == episode.source_name and "/" not in episode.source_name
    assert all(ch.isprintable() for ch in episode.source_name) and len(episode.source_name) <= 255


def _source_name(expected: str):
    def check(ctx: Ctx, body: dict) -> None:
        _stored_inside_the_series_folder(ctx, body)
        assert body["source_name"] == expected
    return check


def _streams(kind: str, **want):
    def check(ctx: Ctx, body: dict) -> None:
        _stored_inside_the_series_folder(ctx, body)
        stream = next(s for s in body["streams"]["streams"] if s["kind"] == kind)
        assert {k: stream[k] for k in want} == want
    return check


def _title_is_escaped_on_the_page(ctx: Ctx, body: dict) -> None:
    page = ctx.client.get(f"/series/{ctx.series.slug}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


BIG = "99999999999"
HUGE_ID = "99999999999999999999"

CASES = [
    # --- episode upload: the file
    Case("empty file", lambda c: c.upload_file("empty.mp4", "empty"), 422, "file", "empty"),
    Case("random bytes", lambda c: c.upload_file("random.mp4", "random"), 422, "file",
         "random.mp4: not a readable media file (ffprobe failed: random.mp4: Invalid data"),
    Case("truncated mp4", lambda c: c.upload_file("cut.mp4", "truncated"), 422, "file",
         "cut.mp4: not a readable media file"),
    Case("no audio stream", lambda c: c.upload_file("mute.mp4", "mute"), 422, "file", "no audio stream"),
    Case("text named .mkv", lambda c: c.upload_file("notes.mkv", "text"), 422, "file",
         "notes.mkv: not a readable media file"),
    Case("unsupported extension", lambda c: c.upload_file("clip.exe", "good"), 422, "file", "unsupported file type"),
    Case("no extension", lambda c: c.upload_file("clip", "good"), 422, "file", "unsupported file type"),
    Case("RTL override hiding .exe", lambda c: c.upload_file("evil\u202e4pm.exe", "good"), 422, "file",
         "unsupported file type"),
    Case("missing file", lambda c: c.upload(), 422, "file", "required"),
    Case("file under another field name", lambda c: c.upload(extra_files={"video": ("a.mp4", c.media["good"])}),
         422, "file", "required"),
    Case("a second, unknown file field",
         lambda c: c.upload(file=("a.mp4", c.media["good"]), extra_files={"file2": ("b.mp4", c.media["good"])}),
         422, "file2", "unknown field"),
    Case("name that is only '..'", lambda c: c.upload_file("..", "good"), 422, "file", "required"),
    # accepted, but the name never chooses where the file goes, and odd media is read by content
    Case("0.2 s clip", lambda c: c.upload_file("short.wav", "short"), 201, check=_streams("audio")),
    Case("1 kHz sample rate", lambda c: c.upload_file("low.wav", "sr1k"), 201,
         check=_streams("audio", sample_rate=1000)),
    Case("192 kHz sample rate", lambda c: c.upload_file("high.wav", "sr192k"), 201,
         check=_streams("audio", sample_rate=192000)),
    Case("8 channels", lambda c: c.upload_file("surround.wav", "ch8"), 201, check=_streams("audio", channels=8)),
    Case("WAV named .mp4", lambda c: c.upload_file("really-a-wav.mp4", "sr1k"), 201,
         check=_streams("audio", codec="pcm_s16le")),
    Case("path traversal name", lambda c: c.upload_file("../../etc/passwd.mp4", "good"), 201,
         check=_source_name("passwd.mp4")),
    Case("windows path name", lambda c: c.upload_file("C:\\Users\\me\\ep1.mp4", "good"), 201,
         check=_source_name("ep1.mp4")),
    Case("NUL byte in name", lambda c: c.upload_file("ep\x001.mp4", "good"), 201, check=_source_name("ep1.mp4")),
    Case("500-character name", lambda c: c.upload_file("n" * 496 + ".mp4", "good"), 201,
         check=_stored_inside_the_series_folder),
    Case("RTL override in name", lambda c: c.upload_file("clip\u202egpj.mp4", "good"), 201,
         check=_source_name("clipgpj.mp4")),
    Case("HTML title", lambda c: c.upload_file("ep.mp4", "good", title="<script>alert(1)</script>"), 201,
         check=_title_is_escaped_on_the_page),
    # --- episode upload: the other fields
    Case("10k-character title", lambda c: c.upload_file("ep.mp4", "good", title="t" * 10000), 422, "title", "200"),
    Case("NUL in title", lambda c: c.upload_file("ep.mp4", "good", title="a\x00b"), 422, "title",
         "control characters"),
    Case("newline in title", lambda c: c.upload_file("ep.mp4", "good", title="a\nb"), 422, "title",
         "control characters"),
    *[Case(f"season {v!r}", (lambda v: lambda c: c.upload_file("ep.mp4", "good", season=v))(v), 422, "season",
           says) for v, says in [("0", "greater than or equal to 1"), ("-1", "greater than or equal to 1"),
                                 (BIG, "less than or equal to 9999"), ("abc", "valid integer"), ("1.5", "integer")]],
    *[Case(f"number {v!r}", (lambda v: lambda c: c.upload_file("ep.mp4", "good", number=v))(v), 422, "number",
           says) for v, says in [("0", "greater than or equal to 1"), ("-1", "greater than or equal to 1"),
                                 (BIG, "less than or equal to 9999"), ("", "integer")]],
    Case("missing number", lambda c: c.upload_file("ep.mp4", "good", number=None), 422, "number", "required"),
    Case("missing series", lambda c: c.upload_file("ep.mp4", "good", series=None), 422, "series", "required"),
    Case("series slug with spaces", lambda c: c.upload_file("ep.mp4", "good", series="bad slug!"), 422, "series",
         "letters, digits"),
    Case("series that does not exist", lambda c: c.upload_file("ep.mp4", "good", series="nope"), 404, None,
         "no series 'nope'"),
    Case("unknown form field", lambda c: c.upload_file("ep.mp4", "good", seasn="2"), 422, "seasn",
         "unknown field"),
    # --- series create / change (JSON)
    Case("series: bad slug", lambda c: c.json("post", "/api/series", {"slug": "bad slug!", "title": "T"}), 422,
         "slug", "letters, digits"),
    Case("series: 81-character slug", lambda c: c.json("post", "/api/series", {"slug": "s" * 81, "title": "T"}), 422,
         "slug", "80"),
    Case("series: missing title", lambda c: c.json("post", "/api/series", {"slug": "fresh"}), 422, "title",
         "required"),
    Case("series: 10k title", lambda c: c.json("post", "/api/series", {"slug": "fresh", "title": "x" * 10000}), 422,
         "title", "200"),
    Case("series: blank title", lambda c: c.json("post", "/api/series", {"slug": "fresh", "title": "   "}), 422,
         "title", "empty"),
    Case("series: unknown field", lambda c: c.json("post", "/api/series", {"slug": "fresh", "title": "T", "owner": 1}),
         422, "owner", "unknown"),
    Case("series: unknown language", lambda c: c.json("post", "/api/series", {"slug": "fresh", "title": "T",
                                                                               "target_language": "klingon"}),
         422, "target_language", "allowed values"),
    Case("series: mode as a number", lambda c: c.json("post", "/api/series", {"slug": "fresh", "title": "T",
                                                                               "default_mode": 3}),
         422, "default_mode", "low"),
    Case("series: not JSON", lambda c: c.json("post", "/api/series", "{slug: fresh"), 400, None, "not valid JSON"),
    Case("series: 11 MiB body", lambda c: c.json("post", "/api/series", {"slug": "fresh", "title": "x" * (11 << 20)}),
         413, None, "too large"),
    Case("form: too many fields", lambda c: c.client.post("/api/episodes", "&".join(f"f{i}=1" for i in range(1200)),
                                                            content_type="application/x-www-form-urlencoded"),
         400, None, "too many fields"),
    Case("multipart: no boundary", lambda c: c.client.post("/api/episodes", b"garbage",
                                                             content_type="multipart/form-data"),
         400, None, "malformed"),
    Case("series: JSON list", lambda c: c.json("post", "/api/series", [1, 2]), 422, "body"),
    Case("patch: read-only slug", lambda c: c.json("patch", f"/api/series/{c.series.slug}", {"slug": "moved"}), 422,
         "slug", "read-only"),
    Case("patch: unknown field", lambda c: c.json("patch", f"/api/series/{c.series.slug}", {"colour": "red"}), 422,
         "colour", "unknown"),
    Case("patch: null title", lambda c: c.json("patch", f"/api/series/{c.series.slug}", {"title": None}), 422,
         "title", "string"),
    Case("patch: bad slug in the path", lambda c: c.json("patch", "/api/series/a%00b", {"title": "T"}), 422, "slug"),
    # --- jobs and ids
    Case("job: episode_id 0", lambda c: c.json("post", "/api/jobs", {"episode_id": 0}), 422, "episode_id", "1"),
    Case("job: episode_id huge", lambda c: c.json("post", "/api/jobs", {"episode_id": int(HUGE_ID)}), 422,
         "episode_id", "less than"),
    Case("job: episode_id text", lambda c: c.json("post", "/api/jobs", {"episode_id": "one"}), 422, "episode_id"),
    Case("job: unknown mode", lambda c: c.json("post", "/api/jobs", {"episode_id": 1, "mode": "ultra"}), 422, "mode"),
    Case("job: unknown field", lambda c: c.json("post", "/api/jobs", {"episode_id": 1, "priority": 9}), 422,
         "priority", "unknown"),
    Case("job id huge", lambda c: c.client.get(f"/api/jobs/{HUGE_ID}"), 422, "job_id", "less than"),
    Case("job id 0", lambda c: c.client.post("/api/jobs/0/cancel"), 422, "job_id", "greater than"),
    Case("job id text", lambda c: c.client.get("/api/jobs/abc/segments"), 422, "job_id", "integer"),
    Case("job list limit 0", lambda c: c.client.get("/api/jobs?limit=0"), 422, "limit"),
    Case("job list limit huge", lambda c: c.client.get(f"/api/jobs?limit={BIG}"), 422, "limit"),
    Case("job list unknown state", lambda c: c.client.get("/api/jobs?state=exploded"), 422, "state"),
    Case("episode id -1", lambda c: c.client.get("/api/episodes/-1"), 422, "episode_id"),
    Case("episode id huge", lambda c: c.client.get(f"/api/episodes/{HUGE_ID}"), 422, "episode_id"),
    Case("episode filter with NUL", lambda c: c.client.get("/api/episodes?series=a%00"), 422, "series"),
    # --- a character's reference clip
    Case("ref: empty", lambda c: c.ref("r.wav", "empty"), 422, "file", "empty"),
    Case("ref: random bytes", lambda c: c.ref("r.wav", "random"), 422, "file", "r.wav: not a readable media file"),
    Case("ref: 0.2 s", lambda c: c.ref("r.wav", "short"), 422, "file", "duration"),
    Case("ref: no audio", lambda c: c.ref("r.mp4", "mute"), 422, "file", "no audio stream"),
    Case("ref: missing file", lambda c: c.ref("r.wav", None), 422, "file", "required"),
    Case("ref: unknown extra file", lambda c: c.ref("r.wav", "ref3s", extra={"more": ("m.wav", b"x")}), 422,
         "more", "unknown field"),
    Case("ref: character id 0", lambda c: c.ref("r.wav", "ref3s", character_id=0), 422, "character_id"),
    Case("ref: traversal name", lambda c: c.ref("../../r.wav", "ref3s"), 201),
]


def _files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _rows() -> dict[str, int]:
    return {"series": Series.objects.count(), "seasons": Season.objects.count(),
            "episodes": Episode.objects.count(), "refs": VoiceRef.objects.count()}


def _server_paths() -> list[str]:
    paths = {str(settings.MEDIA_ROOT), str(settings.DUBSITE_WORK_DIR), str(settings.BASE_DIR), str(settings.VAR_DIR),
             str(settings.MODELS_DIR), tempfile.gettempdir(), "/tmp/"}
    return sorted(p for p in paths if len(p) > 1)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, media, tmp_path, monkeypatch):
    # the server's temporary files go to a folder of this test, which must be empty afterwards
    scratch = tmp_path / "server-tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    client = Client()
    client.force_login(make_user("admin"))
    series = make_series()
    ctx = Ctx(client=client, series=series, character=Character.objects.create(series=series, code="CHAR_0001"),
              media=media)
    media_root = Path(settings.MEDIA_ROOT)
    rows, files = _rows(), _files_under(media_root)

    response = case.send(ctx)

    text = response.content.decode("utf-8", "replace")
    assert response.status_code == case.status, text
    for path in _server_paths() + [str(scratch)]:
        assert path not in text, f"server path {path!r} in {text}"
    for marker in ["$TMP", "$MEDIA_ROOT", "$WORK_DIR", "$APP", "$MODELS_DIR", "\u2026/"]:
        # the API's last-resort redaction had to hide a path: the message should name the user's file itself
        assert marker not in text, f"redacted path {marker!r} in {text}"
    body = response.json()
    if case.status >= 400:
        assert set(body) == {"code", "message", "fields"}
        if case.field:
            assert case.field in body["fields"], body
        else:
            assert body["fields"] == {} or case.status == 404, body
        if case.says:
            reason = body["fields"].get(case.field, "") if case.field else ""
            assert case.says in body["message"] or case.says in reason, body
        assert _rows() == rows, "a refused request left rows behind"
        assert _files_under(media_root) == files, "a refused request left files behind"
    else:
        new_files = _files_under(media_root) - files
        assert len(new_files) == 1, new_files  # the stored episode or the encrypted ref, nothing else
        if case.check:
            case.check(ctx, body)
    assert list(scratch.iterdir()) == [], "temporary files left behind"
