"""The report's charts as PNG bytes (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from cohesion import weeks as isoweeks
from cohesion.reports import trends as report_trends
from cohesion.reports.weekly import WeeklyReport  # noqa: E402
from cohesion.taxonomy import LABELS  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

COLOURS = {
    "week": "#b2182b",
    "baseline": "#878787",
    "line": "#2166ac",
    "band": "#d1e5f0",
    "gap": "#f4a582",
    "event": "#4d4d4d",
}
DPI = 100
# Fixed metadata keeps the files byte-for-byte reproducible for the same data.
METADATA = {"Software": None}


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata=METADATA, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def label_rates(report: WeeklyReport) -> bytes:
    """Weekly rate per 1,000 posts for each label, with the baseline band."""
    figure, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True)
    rows = report.history["label"]
    for axis, label in zip(axes.flat, LABELS, strict=True):
        series = sorted((r for r in rows if r.key == label), key=lambda r: r.week_start)
        x = list(range(len(series)))
        rates = [r.rate if r.rate is not None else float("nan") for r in series]
        bands = [r.test.band(report.spike_z) for r in series]
        low = [b[0] if b else float("nan") for b in bands]
        high = [b[1] if b else float("nan") for b in bands]
        axis.fill_between(x, low, high, color=COLOURS["band"], label="baseline band", step="mid")
        # Weeks with a collection gap, over the band and under the rate line.
        gaps = [i for i, r in enumerate(series) if r.gap]
        for n, i in enumerate(gaps):
            axis.axvspan(
                i - 0.5,
                i + 0.5,
                color=COLOURS["gap"],
                alpha=0.6,
                linewidth=0,
                zorder=1.5,
                label="collection gap" if n == 0 else None,
            )
        _event_markers(axis, [r.week_start for r in series], report)
        axis.plot(x, rates, color=COLOURS["line"], marker="o", markersize=3, label="rate")
        spikes = [(i, r.rate) for i, r in enumerate(series) if r.test.spike]
        if spikes:
            axis.scatter(*zip(*spikes, strict=True), color=COLOURS["week"], zorder=3, label="spike")
        axis.set_title(label.replace("_", " "))
        axis.set_ylabel("per 1,000 posts")
        axis.set_xticks(x, [isoweeks.week_label(r.week_start)[-3:] for r in series], fontsize=7)
        axis.set_ylim(bottom=0)
    axes.flat[0].legend(fontsize=7, loc="upper left")
    weeks = len({r.week_start for r in rows})
    figure.suptitle(f"Flags per 1,000 posts by label, the {weeks} weeks to {report.week}")
    return _png(figure)


def _event_markers(axis: Any, weeks: list[date], report: WeeklyReport) -> None:
    """The local calendar's events as dotted lines, at their day within their week (week
    i spans i - 0.5 to i + 0.5 on the x axis), numbered as in the report's list."""
    if not weeks:
        return
    for n, event in enumerate(report.events, start=1):
        monday = event.day - timedelta(days=event.day.weekday())
        if monday not in weeks:
            continue
        x = weeks.index(monday) - 0.5 + (event.day.weekday() + 0.5) / 7
        axis.axvline(x, color=COLOURS["event"], linestyle=":", linewidth=1.2, zorder=1.8,
                     label="event" if n == 1 else None)  # fmt: skip
        axis.annotate(str(n), (x, 1.0), xycoords=("data", "axes fraction"), fontsize=6,
                      ha="center", va="bottom", color=COLOURS["event"])  # fmt: skip


def _bars(title: str, rows: Sequence[report_trends.TrendRow]) -> bytes:
    figure, axis = plt.subplots(figsize=(8, max(2.0, 0.45 * len(rows) + 1)))
    keys = [r.key.replace("_", " ") for r in rows][::-1]
    now = [r.rate or 0.0 for r in rows][::-1]
    before = [r.test.baseline_rate or 0.0 for r in rows][::-1]
    y = list(range(len(rows)))
    if rows:
        axis.barh([v + 0.2 for v in y], now, height=0.4, color=COLOURS["week"], label="this week")
        axis.barh(
            [v - 0.2 for v in y],
            before,
            height=0.4,
            color=COLOURS["baseline"],
            label="4-week baseline",
        )
        axis.set_yticks(y, keys)
        axis.legend(fontsize=8, loc="lower right")
    else:
        axis.text(0.5, 0.5, "no flagged posts", ha="center", va="center", transform=axis.transAxes)
        axis.set_yticks([])
    axis.set_xlabel("flagged posts per 1,000 posts")
    axis.set_title(title)
    return _png(figure)


def targets(report: WeeklyReport) -> bytes:
    return _bars(f"Hate by target, {report.week}", report.targets)


def narratives(report: WeeklyReport) -> bytes:
    return _bars(f"Anti-government narratives, {report.week}", report.narratives)


def concentration(report: WeeklyReport) -> bytes:
    """Lorenz curve: share of flagged posts against share of flagging accounts."""
    counts = sorted(report.concentration.counts)
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.plot([0, 1], [0, 1], color=COLOURS["baseline"], linestyle="--", label="equal voices")
    total = sum(counts)
    if total:
        xs, ys, running = [0.0], [0.0], 0
        for n, value in enumerate(counts, start=1):
            running += value
            xs.append(n / len(counts))
            ys.append(running / total)
        axis.plot(xs, ys, color=COLOURS["line"], marker="o", markersize=3, label="flagged posts")
        axis.fill_between(xs, ys, xs, color=COLOURS["band"])
    gini = report.concentration.gini
    axis.set_title(
        f"Concentration, {report.week} (Gini {gini:.2f})"
        if gini is not None
        else f"Concentration, {report.week}"
    )
    axis.set_xlabel("share of accounts with a flagged post (fewest first)")
    axis.set_ylabel("share of flagged posts")
    axis.legend(fontsize=8, loc="upper left")
    return _png(figure)


CHARTS = {
    "rates_by_label.png": label_rates,
    "targets.png": targets,
    "narratives.png": narratives,
    "concentration.png": concentration,
}


def render_charts(report: WeeklyReport) -> dict[str, bytes]:
    return {name: draw(report) for name, draw in CHARTS.items()}
