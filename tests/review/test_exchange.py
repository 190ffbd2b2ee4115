"""Lines out as CSV/SRT and an edited CSV back in, through the API as a translator would."""
from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dubsite.models import AuditEvent
from review.models import Segment, SegmentRevision

from .lines import client_for, make_job_lines

pytestmark = pytest.mark.django_db


def _upload(client, job, data: bytes, name="lines.csv"):
    return client.post(f"/api/jobs/{job.pk}/lines/import", {"file": SimpleUploadedFile(name, data, "text/csv")})


def _rows(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body)))


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_csv_export_columns_and_times(tmp_path):
    job, lines = make_job_lines(tmp_path)
    response = client_for("viewer").get(f"/api/jobs/{job.pk}/lines.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _rows(response.content.decode())
    assert rows[0] == ["index", "start", "end", "character", "source", "target", "version"]
    assert rows[2] == ["1", "2.000", "3.500", "Anna", "How are you?", "Wie geht es dir?", "1"]
    assert len(rows) == 1 + len(lines)


def test_srt_export_timing_format(tmp_path):
    job, _ = make_job_lines(tmp_path)
    Segment.objects.filter(job_id=job.pk, index=2).update(start=3723.4567, end=3725.0)
    response = client_for("viewer").get(f"/api/jobs/{job.pk}/lines.srt")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/x-subrip")
    assert response.content.decode() == ("1\n00:00:00,000 --> 00:00:01,500\nHallo zusammen.\n\n"
                                         "2\n00:00:02,000 --> 00:00:03,500\nWie geht es dir?\n\n"
                                         "3\n01:02:03,457 --> 01:02:05,000\nGut.\n")


def test_csv_round_trip_edits_the_line(tmp_path):
    job, (first, second, _) = make_job_lines(tmp_path)
    client = client_for("editor")
    rows = _rows(client.get(f"/api/jobs/{job.pk}/lines.csv").content.decode("utf-8"))
    rows[2][5] = "Wie geht's?"
    response = _upload(client, job, ("\ufeff" + _csv(rows).decode()).encode("utf-8"))  # with a spreadsheet's BOM
    assert response.status_code == 200, response.content
    assert response.json() == {"updated": 1, "unchanged": 2, "refused": []}
    second.refresh_from_db()
    assert (second.target_text, second.version, second.approved) == ("Wie geht's?", 2, False)
    assert SegmentRevision.objects.get(segment=second, version=2).note == "imported from CSV"
    event = AuditEvent.objects.get(action="segment.edit")
    assert event.target_id == str(second.pk) and event.new["target_text"] == "Wie geht's?"
    assert AuditEvent.objects.get(action="segments.import").new == {"updated": 1, "unchanged": 2, "refused": 0}
    first.refresh_from_db()
    assert first.version == 1


def test_import_reports_locked_mismatched_stale_and_unknown_rows(tmp_path):
    job, (first, second, third) = make_job_lines(tmp_path)
    client = client_for("editor")
    rows = _rows(client.get(f"/api/jobs/{job.pk}/lines.csv").content.decode())
    Segment.objects.filter(pk=first.pk).update(locked=True)
    Segment.objects.filter(pk=third.pk).update(target_text="Prima.", version=5)  # someone edited after the export
    rows[1][5] = "Neu eins."
    rows[2][5], rows[2][1] = "Neu zwei.", "2.2"  # 0.2 s off
    rows[3][5] = "Neu drei."
    rows.append(["7", "20.000", "21.000", "", "", "Gibt es nicht.", ""])
    response = _upload(client, job, _csv(rows))
    assert response.status_code == 200
    body = response.json()
    assert body["updated"] == 0 and body["unchanged"] == 0
    reasons = {r["index"]: r["reason"] for r in body["refused"]}
    assert set(reasons) == {0, 1, 2, 7}
    assert "locked" in reasons[0] and "times" in reasons[1] and "changed after the export" in reasons[2]
    assert "no such line" in reasons[7]
    assert [s.target_text for s in Segment.objects.filter(job_id=job.pk)] == ["Hallo zusammen.", "Wie geht es dir?",
                                                                              "Prima."]


def test_import_without_version_column_applies_to_the_current_line(tmp_path):
    job, (first, *_) = make_job_lines(tmp_path)
    response = _upload(client_for("editor"), job, b"index,start,end,target\r\n0,0.01,1.49,Servus.\r\n")
    assert response.status_code == 200 and response.json()["updated"] == 1
    first.refresh_from_db()
    assert first.target_text == "Servus."


@pytest.mark.parametrize("data,message", [
    (b"", "the first row must be the header"),
    (b"0,0.000,1.500,Hallo\r\n", "unknown columns"),
    (b"index,start,end\r\n0,0,1.5\r\n", "missing columns: target"),
    (b"index,start,end,target,speaker\r\n", "unknown columns: speaker"),
    (b"index,start,end,target\r\n0,0,1.5,\xff\xfe\r\n", "not UTF-8"),
    (b"index,start,end,target\r\nzero,0,1.5,Hallo\r\n", "row 2: index 'zero' is not a number"),
    (b"index,start,end,target\r\n0,nan,1.5,Hallo\r\n", "finite"),
    (b"index,start,end,target\r\n0,0,1.5\r\n", "row 2 has 3 cells"),
    (b"index,start,end,target\r\n0,0,1.5,a\r\n0,0,1.5,b\r\n", "appears twice"),
    (b"index,start,end,target\r\n0,0,1.5,\"open\r\n", "cannot be read"),
])
def test_malformed_csv_is_refused_with_a_message(tmp_path, data, message):
    job, _ = make_job_lines(tmp_path)
    response = _upload(client_for("editor"), job, data)
    assert response.status_code == 422, response.content
    assert message in response.json()["message"]
    assert not SegmentRevision.objects.exclude(version=1).exists()


def test_oversized_csv_and_unknown_form_fields(tmp_path):
    job, _ = make_job_lines(tmp_path)
    client = client_for("editor")
    big = b"index,start,end,target\r\n" + b"0,0,1.5," + b"x" * (2 * 1024 * 1024) + b"\r\n"
    response = _upload(client, job, big)
    assert response.status_code == 413 and "2 MiB" in response.json()["message"]
    response = client.post(f"/api/jobs/{job.pk}/lines/import",
                           {"file": SimpleUploadedFile("a.csv", b"index,start,end,target\r\n"), "mode": "x"})
    assert response.status_code == 422 and response.json()["fields"] == {"mode": "unknown field"}
    response = client.post(f"/api/jobs/{job.pk}/lines/import", {})
    assert response.status_code == 422
