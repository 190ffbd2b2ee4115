"""Small server-side SVG charts (no JavaScript, printable): an x/y plot with lines, points,
reference lines and bars. The QC pictures are built from these."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

__all__ = ["Plot", "nice_step"]


def nice_step(span: float, ticks: int = 8) -> float:
    """A round tick step (1, 2, 5 × 10^n) giving about `ticks` ticks over `span`."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        if mult * power >= raw:
            return mult * power
    return 10 * power


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-6 else f"{v:.2f}".rstrip("0").rstrip(".")


@dataclass
class Plot:
    """An x/y chart: add series, then `svg()`. Coordinates are data units."""
    title: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_label: str = ""
    y_label: str = ""
    width: int = 900
    height: int = 240
    parts: list[str] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)

    left, right, top, bottom = 56, 12, 38, 34

    def x(self, v: float) -> float:
        lo, hi = self.x_range
        return self.left + (v - lo) / max(hi - lo, 1e-9) * (self.width - self.left - self.right)

    def y(self, v: float) -> float:
        lo, hi = self.y_range
        v = min(max(v, lo), hi)
        return self.height - self.bottom - (v - lo) / max(hi - lo, 1e-9) * (self.height - self.top - self.bottom)

    def line(self, points: list[tuple[float, float]], color: str, *, label: str = "", width: float = 1.5,
             dash: str = "") -> None:
        if not points:
            return
        path = " ".join(f"{self.x(a):.1f},{self.y(b):.1f}" for a, b in points)
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="{width}"{extra}/>')
        if label:
            self.legend.append((label, color))

    def hline(self, value: float, color: str, label: str) -> None:
        self.line([(self.x_range[0], value), (self.x_range[1], value)], color, label=label, width=1, dash="5,4")

    def points(self, points: list[tuple[float, float, str]], color: str, *, label: str = "", marked=()) -> None:
        """(x, y, tooltip) dots; indices in `marked` get a red ring (failing lines)."""
        for i, (a, b, tip) in enumerate(points):
            ring = ' stroke="#d00" stroke-width="2"' if i in marked else ""
            self.parts.append(f'<circle cx="{self.x(a):.1f}" cy="{self.y(b):.1f}" r="3.5" fill="{color}"{ring}>'
                              f'<title>{escape(tip)}</title></circle>')
        if label:
            self.legend.append((label, color))

    def bars(self, bars: list[tuple[float, float, float, str]], color: str) -> None:
        """(x0, x1, height, tooltip) bars from the bottom of the y range."""
        base = self.y(self.y_range[0])
        for x0, x1, h, tip in bars:
            top = self.y(h)
            self.parts.append(f'<rect x="{self.x(x0) + 1:.1f}" y="{top:.1f}" width="{max(self.x(x1) - self.x(x0) - 2, 1):.1f}"'
                              f' height="{max(base - top, 0):.1f}" fill="{color}"><title>{escape(tip)}</title></rect>')

    def _axes(self) -> list[str]:
        out = []
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        bottom, left = self.height - self.bottom, self.left
        out.append(f'<line x1="{left}" y1="{bottom}" x2="{self.width - self.right}" y2="{bottom}" stroke="#999"/>')
        out.append(f'<line x1="{left}" y1="{self.top}" x2="{left}" y2="{bottom}" stroke="#999"/>')
        step = nice_step(x1 - x0)
        tick = x0 - (x0 % step) if x0 % step else x0
        while tick <= x1 + 1e-9:
            if tick >= x0 - 1e-9:
                out.append(f'<text x="{self.x(tick):.1f}" y="{bottom + 14}" text-anchor="middle" fill="#666">{_fmt(tick)}</text>')
            tick += step
        step = nice_step(y1 - y0, 4)
        tick = y0 - (y0 % step) if y0 % step else y0
        while tick <= y1 + 1e-9:
            if tick >= y0 - 1e-9:
                y = self.y(tick)
                out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{self.width - self.right}" y2="{y:.1f}" stroke="#eee"/>')
                out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#666">{_fmt(tick)}</text>')
            tick += step
        if self.x_label:
            out.append(f'<text x="{self.width - self.right}" y="{self.height - 4}" text-anchor="end" fill="#666">'
                       f'{escape(self.x_label)}</text>')
        if self.y_label:
            out.append(f'<text x="4" y="{self.top - 12}" fill="#666">{escape(self.y_label)}</text>')
        return out

    def svg(self) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" font-family="sans-serif" font-size="11" role="img" '
                f'aria-label="{escape(self.title)}"><title>{escape(self.title)}</title>')
        legend, x = [], 4 + 7 * len(self.title) + 24  # after the bold title
        for label, color in self.legend:
            legend.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{color}"/>'
                          f'<text x="{x + 14}" y="15" fill="#333">{escape(label)}</text>')
            x += 24 + 7 * len(label)
        title = f'<text x="4" y="15" font-weight="bold" fill="#333">{escape(self.title)}</text>'
        return head + title + "".join(self._axes() + self.parts + legend) + "</svg>"
