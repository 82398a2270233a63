"""Write a weekly report: index.html (self-contained), report.md, trends.csv, officials.csv
and PNGs.

Post text is hostile: the HTML template autoescapes everything and sends a strict
Content-Security-Policy; the Markdown escapes HTML and Markdown syntax alike; links
are only ever http(s) URLs.
"""

from __future__ import annotations

import base64
import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cohesion.private_files import private_dir, write_private
from cohesion.reports.calendar import LEAD_DAYS
from cohesion.reports.charts import render_charts
from cohesion.reports.escape import md_text, safe_url
from cohesion.reports.weekly import WeeklyReport
from cohesion.store import health
from cohesion.weeks import week_label
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

CSV_COLUMNS = (
    "week",
    "week_start",
    "dimension",
    "key",
    "posts",
    "flagged",
    "rate_per_1000",
    "baseline_rate_per_1000",
    "expected",
    "z",
    "spike",
    "collection_gap",
)
OFFICIALS_COLUMNS = ("week", "week_start", "group", "key", "kind", "threat", "doxxing", "posts")


@dataclass(slots=True, frozen=True)
class WrittenReport:
    out_dir: Path
    files: tuple[Path, ...]

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"


def number(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def percent(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def signed(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:+.{digits}f}"


# Rows shown in the storylines and coordinated-posting sections (the CLI shows all).
REPORT_LIMITS = {"storylines": 10, "bursts": 15}


def minutes(span: timedelta) -> str:
    """A time span as "55 min" or "3 h 5 min"."""
    total = round(span.total_seconds() / 60)
    hours, rest = divmod(total, 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cohesion.reports", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=md_text,
        number=number,
        percent=percent,
        signed=signed,
        safe_url=safe_url,
        label=lambda key: "any label" if key == "any" else str(key).replace("_", " "),
        week=week_label,
        minutes=minutes,
    )
    env.globals["lead_days"] = LEAD_DAYS
    env.globals["report_limits"] = REPORT_LIMITS
    env.globals["gap_rule"] = {
        "share": health.GAP_SHARE,
        "weeks": health.BASELINE_WEEKS,
        "min_baseline": health.MIN_BASELINE,
    }
    return env


def trends_csv(report: WeeklyReport) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for dimension in report.history:
        for row in sorted(report.history[dimension], key=lambda r: (r.week_start, r.key)):
            writer.writerow(row.as_dict())
    return buffer.getvalue()


def officials_csv(report: WeeklyReport) -> str:
    """The officials section's counts: per watchlist kind, per entry and per threat target.

    group "watchlist_kind" and "watchlist_entry" count posts flagged threat or doxxing
    naming an entry (threat, doxxing, either); group "threat_target" counts threat posts
    by target kind (threat and posts equal, doxxing empty).
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=OFFICIALS_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for week in report.officials:
        common = {"week": week_label(week.week_start), "week_start": week.week_start.isoformat()}
        for group, counts in (
            ("watchlist_kind", week.kinds.values()),
            ("watchlist_entry", week.entries),
        ):
            for c in counts:
                row = {"group": group, "key": c.key, "kind": c.kind, "threat": c.threat}
                writer.writerow({**common, **row, "doxxing": c.doxxing, "posts": c.posts})
        for target, n in week.threat_targets.items():
            row = {"group": "threat_target", "key": target, "kind": "", "threat": n}
            writer.writerow({**common, **row, "doxxing": "", "posts": n})
    return buffer.getvalue()


def render_markdown(report: WeeklyReport) -> str:
    return environment().get_template("report.md.j2").render(report=report)


def render_html(report: WeeklyReport, charts: dict[str, bytes]) -> str:
    images = {
        name: "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        for name, data in charts.items()
    }
    return environment().get_template("report.html.j2").render(report=report, images=images)


def write_report(report: WeeklyReport, out_dir: Path) -> WrittenReport:
    private_dir(out_dir)
    charts = render_charts(report)
    written = []
    for name, data in charts.items():
        path = out_dir / name
        write_private(path, data)
        written.append(path)
    outputs = {
        "index.html": render_html(report, charts),
        "report.md": render_markdown(report),
        "trends.csv": trends_csv(report),
        "officials.csv": officials_csv(report),
    }
    for name, text in outputs.items():
        path = out_dir / name
        write_private(path, text)
        written.append(path)
    return WrittenReport(out_dir, tuple(written))
