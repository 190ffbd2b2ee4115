"""Job summaries for the CLI (`manage.py dub --json`) and exports (`--out DIR`)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.core.files.storage import default_storage

from review.models import Segment

from .artifacts import storage_name
from .models import Job
from .pipeline import finished_outputs

__all__ = ["job_summary", "export_outputs", "segments_rows"]

EXPORT_KEYS = ("mkv", "mp4", "target_srt", "target_vtt", "source_srt", "source_vtt", "tts_manifest", "refs_manifest",
               "diarization", "translated", "qc")
EXPORT_NAMES = {"mkv": "dub.mkv", "mp4": "dub.mp4", "refs_manifest": "refs_manifest.json"}


def segments_rows(job: Job) -> list[dict]:
    return [{"index": s.index, "start": round(s.start, 3), "end": round(s.end, 3), "diar_label": s.diar_label,
             "character": s.character.code if s.character_id else None, "source_text": s.source_text,
             "target_text": s.target_text, "flags": s.flags, "locked": s.locked}
            for s in Segment.objects.filter(job_id=job.pk).select_related("character").order_by("index")]


def stored_location(job_id: int, rel: str) -> str:
    """Where an output is kept: a path on local storage, else its URL (the work folder is gone
    once the job ended, so its paths are never what we print)."""
    name = storage_name(job_id, rel)
    try:
        return default_storage.path(name)
    except NotImplementedError:
        return default_storage.url(name)


def job_summary(job: Job) -> dict:
    outputs, _ = finished_outputs(job)
    stages = [{"pass": r.pass_obj.number, "stage": r.name, "state": r.state, "seconds": r.duration,
               "engines": r.engines} for r in job.stage_runs.select_related("pass_obj").order_by("started", "id")]
    speakers = {k: v["code"] for k, v in outputs.get("identify", {}).get("speakers", {}).items()}
    files = {k: stored_location(job.pk, v) for k, v in job.outputs.items() if isinstance(v, str)}
    return {"job": job.pk, "state": job.state, "error": job.error, "mode": job.mode, "two_pass": job.two_pass,
            "outputs": files, "output_pass": job.outputs.get("pass"),
            "passes": [{"number": p.number, "kind": p.kind, "state": p.state, "error": p.error}
                       for p in job.passes.all()],
            "stages": stages, "speakers": speakers}


def export_outputs(job: Job, out_dir: str | Path) -> list[Path]:
    """Copy the final MKV/MP4/SRT/VTT/manifests and a segments.json into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key in EXPORT_KEYS:
        rel = job.outputs.get(key)
        if rel:
            dst = out / EXPORT_NAMES.get(key, Path(rel).name)
            # straight from storage: a job that ended has no work folder, and this must not make one
            with default_storage.open(storage_name(job.pk, rel), "rb") as src, open(dst, "wb") as fh:
                shutil.copyfileobj(src, fh)
            written.append(dst)
    seg = out / "segments.json"
    seg.write_text(json.dumps(segments_rows(job), indent=2, ensure_ascii=False))
    written.append(seg)
    return written
