"""The weekly threat-landscape report as plain data, gathered from the store's trend queries.

`build_weekly_report` reads; `reports.render` writes HTML, Markdown, CSV and charts from
what it returns; `reports.alerts` turns its spikes into a webhook message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from config import Settings
from store import trends
from store.models import LABELS
from store.status import active_model
from store.terms import RisingTerm, count_terms, mask_handles, rising_terms
from store.types import utcnow

HISTORY_WEEKS = 12
TOP_PLACES = 10
TOP_TERMS = 15
TEXT_LIMIT = 500


@dataclass(slots=True, frozen=True)
class SourceVolume:
    source: str
    collected: int
    assessed: int
    flagged: int
    baseline_collected: float | None

    @property
    def rate(self) -> float | None:
        return trends.per_thousand(self.flagged, self.assessed)


@dataclass(slots=True)
class WeeklyReport:
    locality: str
    timezone: str
    week_start: date
    generated_at: datetime
    model_name: str | None
    model_created_at: datetime | None
    precision: trends.Precision
    spike_z: float
    min_count: int
    total: trends.TrendRow
    sources: list[SourceVolume]
    labels: list[trends.TrendRow]
    targets: list[trends.TrendRow]
    narratives: list[trends.TrendRow]
    history: dict[str, list[trends.TrendRow]]
    places: list[tuple[str, int]]
    terms: list[RisingTerm]
    concentration: trends.Concentration
    sample: list[trends.SamplePost] = field(default_factory=list)

    @property
    def week(self) -> str:
        return trends.week_label(self.week_start)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def baseline_weeks(self) -> tuple[str, str]:
        first = self.week_start - timedelta(weeks=trends.BASELINE_WEEKS)
        return trends.week_label(first), trends.week_label(self.week_start - timedelta(weeks=1))

    @property
    def spikes(self) -> list[trends.TrendRow]:
        rows = (self.total, *self.labels, *self.targets, *self.narratives)
        return [r for r in rows if r.test.spike]

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))


def _this_week(rows: list[trends.TrendRow], week: date) -> list[trends.TrendRow]:
    return [r for r in rows if r.week_start == week]


def _ranked(rows: list[trends.TrendRow]) -> list[trends.TrendRow]:
    """Keys seen this week or in its baseline, most flagged first."""
    kept = [r for r in rows if r.flagged or r.test.baseline_flagged]
    return sorted(kept, key=lambda r: (-r.flagged, -(r.test.baseline_flagged), r.key))


def build_weekly_report(
    session: Session, settings: Settings, week: date, now: datetime | None = None
) -> WeeklyReport:
    model = active_model(session)
    model_id = model.id if model else None
    alerts = settings.alerts
    weeks = trends.week_range(week, HISTORY_WEEKS)

    def rows(by: str) -> list[trends.TrendRow]:
        return trends.trend_rows(session, model_id, by, weeks, alerts.spike_z, alerts.min_count)

    history = {by: rows(by) for by in trends.DIMENSIONS}
    label_rows = _this_week(history["label"], week)
    total = next(r for r in label_rows if r.key == trends.ANY_LABEL)
    baseline_first = week - timedelta(weeks=trends.BASELINE_WEEKS)
    texts = trends.flagged_texts(session, model_id, baseline_first, week)
    terms = rising_terms(
        count_terms(t for w, t in texts if w == week),
        count_terms(t for w, t in texts if w != week),
        limit=TOP_TERMS,
    )
    return WeeklyReport(
        locality=settings.locality.name,
        timezone=settings.locality.timezone,
        week_start=week,
        generated_at=now or utcnow(),
        model_name=model.name if model else None,
        model_created_at=model.created_at if model else None,
        precision=trends.review_precision(session, model_id, week),
        spike_z=alerts.spike_z,
        min_count=alerts.min_count,
        total=total,
        sources=_sources(session, model_id, week, baseline_first),
        labels=[r for r in label_rows if r.key in LABELS],
        targets=_ranked(_this_week(history["target"], week)),
        narratives=_ranked(_this_week(history["narrative"], week)),
        history=history,
        places=trends.top_places(session, model_id, week, TOP_PLACES),
        terms=terms,
        concentration=trends.concentration(session, model_id, week),
        sample=[
            _clip(post)
            for post in trends.flagged_sample(session, model_id, week, settings.report.sample_size)
        ],
    )


def _sources(
    session: Session, model_id: int | None, week: date, baseline_first: date
) -> list[SourceVolume]:
    rows = trends.source_weeks(session, model_id, baseline_first, week)
    names = sorted({r.source for r in rows})
    current = {r.source: r for r in rows if r.week_start == week}
    volumes = []
    for name in names:
        past = [r.collected for r in rows if r.source == name and r.week_start != week]
        row = current.get(name)
        volumes.append(
            SourceVolume(
                name,
                row.collected if row else 0,
                row.assessed if row else 0,
                row.flagged if row else 0,
                sum(past) / trends.BASELINE_WEEKS if past else None,
            )
        )
    return volumes


def _clip(post: trends.SamplePost) -> trends.SamplePost:
    """Shorten the text and mask the handles of people a post mentions."""
    text = " ".join(mask_handles(post.text).split())
    if len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT - 1] + "…"
    return trends.SamplePost(
        post.post_id,
        post.created_at,
        post.source,
        post.author,
        post.url,
        text,
        post.labels,
        post.tags,
        post.decision,
        post.priority,
    )
