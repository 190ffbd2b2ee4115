"""`manage.py storage report|clean`: disk use per series and the orphans; remove the orphans."""
from __future__ import annotations

import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from dubsite.housekeeping import CATEGORIES, DEFAULT_MIN_AGE, storage_clean, storage_report


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


class Command(BaseCommand):
    help = ("report: bytes and files per series (episode sources, job artifacts, voice refs, work folders) and the "
            "orphans; clean: remove the orphans (--dry-run lists them only)")

    def add_arguments(self, p):
        p.add_argument("action", choices=["report", "clean"])
        p.add_argument("--dry-run", action="store_true", help="clean: list what would go, remove nothing")
        p.add_argument("--min-age", type=float, default=DEFAULT_MIN_AGE.total_seconds() / 60, metavar="MINUTES",
                       help="leave stored orphans younger than this alone: they may be an upload whose row is "
                            "about to commit (default %(default).0f)")
        p.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **o):
        if o["min_age"] < 0:
            raise CommandError("--min-age must be ≥ 0")
        min_age = timedelta(minutes=o["min_age"])
        if o["action"] == "report":
            self._report(storage_report(min_age=min_age), o["json"])
        else:
            self._clean(storage_clean(dry_run=o["dry_run"], min_age=min_age), o["dry_run"], o["json"])

    def _report(self, report, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        say = self.stdout.write
        say(f"{'series':30s} " + " ".join(f"{c:>22s}" for c in CATEGORIES) + f" {'total':>22s}")
        for s in report.series:
            cells = [f"{_size(b)} / {n} files" for b, n in s.categories.values()]
            say(f"{s.slug[:30]:30s} " + " ".join(f"{c:>22s}" for c in cells)
                + f" {f'{_size(s.bytes)} / {s.files} files':>22s}")
        say(f"in series: {sum(s.bytes for s in report.series)} bytes in {sum(s.files for s in report.series)} files")
        if not report.orphans:
            say("orphans: none")
            return
        say(f"orphans: {len(report.orphans)}, {sum(o.bytes for o in report.orphans)} bytes "
            f"in {sum(o.files for o in report.orphans)} files")
        for o in report.orphans:
            say(f"  {o.kind:11s} {o.name} ({o.bytes} bytes, {o.files} files): {o.reason}"
                + (" [too new: left alone]" if o.too_new else ""))

    def _clean(self, items, dry_run: bool, as_json: bool) -> None:
        freed, files = sum(o.bytes for o in items), sum(o.files for o in items)
        if as_json:
            self.stdout.write(json.dumps({"dry_run": dry_run, "bytes": freed, "files": files,
                                          "removed": [{"kind": o.kind, "name": o.name, "bytes": o.bytes,
                                                       "files": o.files, "reason": o.reason} for o in items]},
                                         indent=2))
            return
        verb = "would remove" if dry_run else "removed"
        for o in items:
            self.stdout.write(f"{verb} {o.kind} {o.name} ({o.bytes} bytes, {o.files} files): {o.reason}")
        self.stdout.write(f"{'would free' if dry_run else 'freed'} {freed} bytes ({_size(freed)}) in {files} files"
                          + ("" if items else ": no orphans"))
