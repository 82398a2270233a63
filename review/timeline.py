"""The search page's weekly timeline as inline SVG, drawn on the server.

No script and no chart library reaches the browser (the app serves nothing from a CDN,
and its Content-Security-Policy allows no inline script): one polyline per platform
over the weeks, either the matches or the matches per 1,000 posts of that platform,
with the local calendar's events as dashed vertical markers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 120, 16, 36
# Colour-blind-safe (Okabe-Ito), one per platform in order of appearance.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")


@dataclass(frozen=True, slots=True)
class Point:
    week: date
    platform: str
    value: float | None


@dataclass(frozen=True, slots=True)
class Marker:
    day: date
    title: str


def timeline_svg(
    points: Sequence[Point], markers: Sequence[Marker] = (), *, title: str = ""
) -> Markup:
    """An accessible SVG line chart (with a <title> and a text table fallback nearby)."""
    weeks = sorted({p.week for p in points})
    if not weeks:
        return Markup("")
    platforms = list(dict.fromkeys(p.platform for p in points))
    top = max((p.value or 0.0 for p in points), default=0.0) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(week: date) -> float:
        if len(weeks) == 1:
            return LEFT + plot_w / 2
        span = (weeks[-1] - weeks[0]).days or 1
        return LEFT + plot_w * (week - weeks[0]).days / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        'stroke="#888"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="11">{_fmt(top)}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    step = max(1, len(weeks) // 8)
    for week in weeks[::step]:
        iso = week.isocalendar()
        parts.append(
            f'<text x="{x(week):.1f}" y="{HEIGHT - 14}" text-anchor="middle" font-size="11">'
            f"{iso.year}-W{iso.week:02d}</text>"
        )
    for marker in markers:
        if not weeks[0] <= marker.day <= weeks[-1] + timedelta(days=6):
            continue
        mx = x(marker.day)
        parts.append(
            f'<line class="event" x1="{mx:.1f}" y1="{TOP}" x2="{mx:.1f}" y2="{TOP + plot_h}" '
            f'stroke="#555" stroke-dasharray="4 3"><title>{escape(marker.day.isoformat())}: '
            f"{escape(marker.title)}</title></line>"
        )
    for n, platform in enumerate(platforms):
        colour = COLOURS[n % len(COLOURS)]
        series = sorted((p for p in points if p.platform == platform), key=lambda p: p.week)
        coords = " ".join(
            f"{x(p.week):.1f},{y(p.value):.1f}" for p in series if p.value is not None
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}">'
            f"<title>{escape(platform)}</title></polyline>"
        )
        for p in series:  # a dot per week, so a single week still shows
            if p.value is not None:
                parts.append(
                    f'<circle cx="{x(p.week):.1f}" cy="{y(p.value):.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(platform)} {p.week.isoformat()}: {_fmt(p.value)}</title>"
                    "</circle>"
                )
        parts.append(
            f'<text x="{LEFT + plot_w + 8}" y="{TOP + 14 * (n + 1)}" font-size="12" '
            f'fill="{colour}">{escape(platform)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"
