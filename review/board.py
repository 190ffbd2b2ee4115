"""What the review page shows for one job's lines: the filtered page of rows, the timeline strip over
the whole episode, the review progress and the filter choices.

A fixed number of queries whatever the line count: one light query over every line (times,
character, states, flags) feeds the timeline, the progress, the filter choices and the filtering
itself; a second one loads the full rows of the page shown. Flags are a JSON list, which SQLite
cannot search portably, so filtering the light list in Python is both simpler and database-neutral.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count

from dubsite.roles import require

from .models import Segment

__all__ = ["PER_PAGE", "KNOWN_FLAGS", "Filters", "TimelineLine", "TimelineRow", "Board", "character_colour",
           "review_board"]

PER_PAGE = 100
# Flags the pipeline and the editors' tools set; any other flag found on a line is offered too.
KNOWN_FLAGS = ("needs_translation", "needs_retranslate", "overrun", "low_confidence", "not_in_source", "qc_wer", "qc_voice",
               "qc_timing", "qc_level")
NO_CHARACTER = "-"  # the filter value (and timeline row) of lines nobody is assigned to


def character_colour(character_id: int | None) -> str:
    """A colour per character that stays the same on every page, job and reload: the hue steps by
    the golden angle from the character's id, so characters made one after another (a series' cast)
    get hues far apart, and no list position can shift them."""
    if not character_id:
        return "hsl(0, 0%, 62%)"
    return f"hsl({round(character_id * 137.508) % 360}, 62%, 44%)"


@dataclass(frozen=True)
class Filters:
    character: str = ""   # a character code, NO_CHARACTER, or "" for all
    flag: str = ""
    unapproved: bool = False
    locked: str = ""      # "1" only locked lines, "0" only unlocked ones, "" both

    @classmethod
    def from_query(cls, query) -> "Filters":
        locked = query.get("locked", "")
        return cls(character=query.get("character", "")[:64], flag=query.get("flag", "")[:64],
                   unapproved=query.get("unapproved") in ("1", "on", "true"),
                   locked=locked if locked in ("0", "1") else "")

    @property
    def active(self) -> bool:
        return bool(self.character or self.flag or self.unapproved or self.locked)

    def params(self) -> dict:
        out = {}
        if self.character:
            out["character"] = self.character
        if self.flag:
            out["flag"] = self.flag
        if self.unapproved:
            out["unapproved"] = "1"
        if self.locked:
            out["locked"] = self.locked
        return out

    def match(self, line: "_Light") -> bool:
        if self.character and (line.code or NO_CHARACTER) != self.character:
            return False
        if self.flag and self.flag not in line.flags:
            return False
        if self.unapproved and line.approved:
            return False
        if self.locked and line.locked != (self.locked == "1"):
            return False
        return True


@dataclass(frozen=True)
class _Light:
    pk: int
    index: int
    start: float
    end: float
    character_id: int | None
    code: str | None
    name: str
    diar_label: str
    approved: bool
    locked: bool
    flags: tuple


@dataclass(frozen=True)
class TimelineLine:
    pk: int
    index: int
    left: float   # percent of the episode
    width: float
    href: str     # the page (with the filters, when the line passes them) that holds the line
    matches: bool
    approved: bool
    title: str


@dataclass
class TimelineRow:
    code: str
    label: str
    colour: str
    lines: list[TimelineLine] = field(default_factory=list)


@dataclass
class Board:
    rows: list[Segment]             # this page's lines, full rows, with `take_count` and `colour`
    total: int                      # every line of the job
    approved: int
    locked: int
    flagged: int
    matching: int                   # lines passing the filters
    page: int
    pages: int
    per_page: int
    filters: Filters
    characters: list[tuple[str, str, str]]  # (code, label, colour) for the filter and the legend
    flag_counts: list[tuple[str, int]]  # every known or found flag with its number of lines
    timeline: list[TimelineRow]
    duration: float

    @property
    def retranslate_count(self) -> int:
        return dict(self.flag_counts).get("needs_retranslate", 0)

    @property
    def percent(self) -> int:
        return round(100 * self.approved / self.total) if self.total else 0

    def page_href(self, page: int) -> str:
        return "?" + urlencode({**self.filters.params(), "page": page})

    @property
    def previous_href(self) -> str | None:
        return self.page_href(self.page - 1) if self.page > 1 else None

    @property
    def next_href(self) -> str | None:
        return self.page_href(self.page + 1) if self.page < self.pages else None


def _light_lines(job_id: int) -> list[_Light]:
    values = (Segment.objects.filter(job_id=job_id).order_by("index")
              .values_list("pk", "index", "start", "end", "character_id", "character__code", "character__display_name",
                           "diar_label", "approved", "locked", "flags"))
    return [_Light(pk, index, start, end, character_id, code, name or "", label, approved, locked,
                   tuple(f for f in flags if isinstance(f, str)) if isinstance(flags, list) else ())
            for pk, index, start, end, character_id, code, name, label, approved, locked, flags in values]


def _clock(seconds: float) -> str:
    minutes, rest = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes):02d}:{rest:04.1f}"


def review_board(*, user, job_id: int, filters: Filters, page: int = 1, per_page: int = PER_PAGE,
                 duration: float | None = None) -> Board:
    """The page's data for `user` (who must be allowed to see lines); two queries for any line count."""
    require(user, "review.view_segment")
    lines = _light_lines(job_id)
    matching = [line for line in lines if filters.match(line)]
    pages = max(1, -(-len(matching) // per_page))
    page = min(max(page, 1), pages)
    shown = [line.pk for line in matching[(page - 1) * per_page: page * per_page]]

    rows = []
    if shown:
        by_pk = {s.pk: s for s in Segment.objects.filter(pk__in=shown).select_related("character")
                 .annotate(take_count=Count("takes"))}
        rows = [by_pk[pk] for pk in shown if pk in by_pk]
        for row in rows:
            row.colour = character_colour(row.character_id)
            row.slot = row.end - row.start
            row.clock = f"{_clock(row.start)}–{_clock(row.end)}"

    end = max([line.end for line in lines] + [duration or 0.0, 0.001])
    # Where each line lives: its page among the filtered lines, else its page with no filter.
    position = {line.pk: i for i, line in enumerate(matching)}
    plain = {line.pk: i for i, line in enumerate(lines)}
    timeline: dict[str, TimelineRow] = {}
    for line in lines:
        key = line.code or NO_CHARACTER
        row = timeline.get(key)
        if row is None:
            label = f"{line.code} {line.name}".strip() if line.code else "no character"
            row = timeline[key] = TimelineRow(code=key, label=label, colour=character_colour(line.character_id))
        if line.pk in position:
            href = "?" + urlencode({**filters.params(), "page": position[line.pk] // per_page + 1})
        else:
            href = "?" + urlencode({"page": plain[line.pk] // per_page + 1})
        row.lines.append(TimelineLine(
            pk=line.pk, index=line.index, left=100 * line.start / end,
            width=max(100 * (line.end - line.start) / end, 0.15), href=f"{href}#line-{line.pk}",
            matches=line.pk in position, approved=line.approved,
            title=f"#{line.index} {_clock(line.start)}–{_clock(line.end)} {row.label}"))
    ordered = sorted(timeline.values(), key=lambda r: (r.code == NO_CHARACTER, r.code))

    counts: dict[str, int] = dict.fromkeys(KNOWN_FLAGS, 0)
    for line in lines:
        for flag in set(line.flags):
            counts[flag] = counts.get(flag, 0) + 1
    return Board(
        rows=rows, total=len(lines), approved=sum(line.approved for line in lines),
        locked=sum(line.locked for line in lines), flagged=sum(bool(line.flags) for line in lines),
        matching=len(matching), page=page, pages=pages, per_page=per_page, filters=filters,
        characters=[(r.code, r.label, r.colour) for r in ordered],
        flag_counts=[(flag, counts[flag]) for flag in (*KNOWN_FLAGS, *sorted(set(counts) - set(KNOWN_FLAGS)))],
        timeline=ordered, duration=end)
