"""The weekly threat-landscape report as plain data, gathered from the store's trend queries.

`build_weekly_report` reads; `reports.render` writes HTML, Markdown, CSV and charts from
what it returns; `reports.alerts` turns its spikes into a webhook message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cohesion import weeks as isoweeks
from cohesion.config import CoordinationSettings, Settings
from cohesion.patterns.coordination import WeekBursts, week_bursts
from cohesion.patterns.storylines import WeekStorylines, week_storylines
from cohesion.reports import stats
from cohesion.reports import trends as report_trends
from cohesion.reports.calendar import LEAD_DAYS, SpikeStart, events_before, spike_began
from cohesion.reports.calibration import CalibrationEstimate, estimates
from cohesion.reports.links import post_link
from cohesion.reports.terms import RisingTerm, count_terms, mask_handles, rising_terms
from cohesion.store import trends
from cohesion.store.events import CalendarEvent, events_between
from cohesion.store.health import SourceWeekHealth, collector_health, gap_weeks
from cohesion.store.officials import OFFICIAL_TARGETS, OfficialsWeek, officials_weeks
from cohesion.store.status import active_model
from cohesion.store.types import utcnow
from cohesion.taxonomy import LABELS
from sqlalchemy.orm import Session

HISTORY_WEEKS = 12
# Weeks in the small tables (officials, calibration): the report week and its baseline.
RECENT_WEEKS = trends.BASELINE_WEEKS + 1
TOP_PLACES = 10
TOP_TERMS = 15
TEXT_LIMIT = 500


@dataclass(slots=True, frozen=True)
class SourceVolume:
    """A source's week: volumes, flags and collector health (store/health.py)."""

    source: str
    collected: int
    assessed: int
    flagged: int
    health: SourceWeekHealth | None  # None: not an enabled source (no crawl record)

    @property
    def rate(self) -> float | None:
        return stats.per_thousand(self.flagged, self.assessed)

    @property
    def baseline_collected(self) -> float | None:
        return self.health.baseline if self.health else None

    @property
    def gap(self) -> bool:
        return self.health is not None and self.health.gap


@dataclass(slots=True)
class WeeklyReport:
    locality: str
    timezone: str
    week_start: date
    generated_at: datetime
    model_name: str | None
    model_created_at: datetime | None
    calibration: list[CalibrationEstimate]
    spike_z: float
    min_count: int
    total: report_trends.TrendRow
    sources: list[SourceVolume]
    labels: list[report_trends.TrendRow]
    targets: list[report_trends.TrendRow]
    narratives: list[report_trends.TrendRow]
    threat_targets: list[report_trends.TrendRow]
    officials: list[OfficialsWeek]
    watchlist_configured: bool
    gaps: dict[date, list[SourceWeekHealth]]
    history: dict[str, list[report_trends.TrendRow]]
    places: list[tuple[str, int]]
    terms: list[RisingTerm]
    concentration: stats.Concentration
    sample: list[trends.SamplePost] = field(default_factory=list)
    # The local calendar over the charted weeks, and what came before each spike.
    events: list[CalendarEvent] = field(default_factory=list)
    spike_starts: dict[str, SpikeStart] = field(default_factory=dict)
    # Patterns across posts (patterns/): None only in reports built without them.
    storylines: WeekStorylines | None = None
    bursts: WeekBursts | None = None
    coordination: CoordinationSettings = field(default_factory=CoordinationSettings)
    # The review app's public address: the sample's posts link to their pages there.
    review_url: str = ""

    @property
    def week(self) -> str:
        return isoweeks.week_label(self.week_start)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def baseline_weeks(self) -> tuple[str, str]:
        first = self.week_start - timedelta(weeks=trends.BASELINE_WEEKS)
        return isoweeks.week_label(first), isoweeks.week_label(self.week_start - timedelta(weeks=1))

    @property
    def spikes(self) -> list[report_trends.TrendRow]:
        rows = (self.total, *self.labels, *self.targets, *self.narratives, *self.threat_targets)
        return [r for r in rows if r.test.spike]

    def post_link(self, post: trends.SamplePost) -> str | None:
        """Where the sample links a post: its review-app page (see reports/links.py)."""
        return post_link(post.post_id, post.url, self.review_url)

    def spike_start(self, row: report_trends.TrendRow) -> SpikeStart | None:
        """When a spike of this report began, and the events shortly before it."""
        return self.spike_starts.get(f"{row.dimension}:{row.key}")

    @property
    def week_events(self) -> list[CalendarEvent]:
        """Events of the report week and the three days before it."""
        first = self.week_start - timedelta(days=LEAD_DAYS)
        return [e for e in self.events if first <= e.day <= self.week_end]

    @property
    def week_gaps(self) -> list[SourceWeekHealth]:
        """Sources with a collection gap in the report week."""
        return self.gaps.get(self.week_start, [])

    @property
    def baseline_gap_weeks(self) -> list[str]:
        """Baseline weeks left out of the spike test for a collection gap."""
        first = self.week_start - timedelta(weeks=trends.BASELINE_WEEKS)
        return [isoweeks.week_label(w) for w in sorted(self.gaps) if first <= w < self.week_start]

    @property
    def history_gaps(self) -> list[tuple[str, list[SourceWeekHealth]]]:
        """(week, gaps) of the weeks shown in the charts, oldest first."""
        shown = {r.week_start for r in self.history["label"]}
        return [(isoweeks.week_label(w), self.gaps[w]) for w in sorted(self.gaps) if w in shown]

    @property
    def precision_summary(self) -> list[tuple[str, CalibrationEstimate | None]]:
        """(label, this week's calibration estimate or None) for every label."""
        found = {c.label: c for c in self.calibration if c.week_start == self.week_start}
        return [(label, found.get(label)) for label in LABELS]

    @property
    def calibration_rows(self) -> list[tuple[date, str, CalibrationEstimate | None]]:
        """Every label for the report week; earlier weeks' labels where something was reviewed."""
        rows = [(self.week_start, label, c) for label, c in self.precision_summary]
        order = sorted(
            self.calibration, key=lambda c: (-c.week_start.toordinal(), LABELS.index(c.label))
        )
        for c in order:
            if c.week_start != self.week_start and (c.flagged_reviewed or c.unflagged_reviewed):
                rows.append((c.week_start, c.label, c))
        return rows

    @property
    def officials_week(self) -> OfficialsWeek:
        return next(o for o in self.officials if o.week_start == self.week_start)

    @property
    def officials_table(self) -> list[tuple[str, list[int]]]:
        """Rows of the officials section: (row name, posts per week of `officials`)."""
        kinds = list(dict.fromkeys(k for o in self.officials for k in o.kinds))
        rows = [
            (
                f"watchlist {kind}",
                [o.kinds[kind].posts if kind in o.kinds else 0 for o in self.officials],
            )
            for kind in kinds
        ]
        rows += [
            (
                f"threat target: {target.replace('_', ' ')}",
                [o.threat_targets[target] for o in self.officials],
            )
            for target in OFFICIAL_TARGETS
        ]
        return rows

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))


def _this_week(rows: list[report_trends.TrendRow], week: date) -> list[report_trends.TrendRow]:
    return [r for r in rows if r.week_start == week]


def _ranked(rows: list[report_trends.TrendRow]) -> list[report_trends.TrendRow]:
    """Keys seen this week or in its baseline, most flagged first."""
    kept = [r for r in rows if r.flagged or r.test.baseline_flagged]
    return sorted(kept, key=lambda r: (-r.flagged, -(r.test.baseline_flagged), r.key))


def build_weekly_report(
    session: Session, settings: Settings, week: date, now: datetime | None = None
) -> WeeklyReport:
    model = active_model(session)
    model_id = model.id if model else None
    alerts = settings.alerts
    weeks = isoweeks.week_range(week, HISTORY_WEEKS)
    recent = isoweeks.week_range(week, RECENT_WEEKS)
    # Health over the charted weeks and the baseline of the first of them.
    health = collector_health(
        session,
        isoweeks.week_range(week, HISTORY_WEEKS + trends.BASELINE_WEEKS),
        settings.locality.zone,
    )
    gaps = gap_weeks(health)

    def rows(by: str) -> list[report_trends.TrendRow]:
        return report_trends.trend_rows(
            session, model_id, by, weeks, alerts.spike_z, alerts.min_count, gaps
        )

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
    kinds = {entry.name: entry.kind for entry in settings.watchlist}
    configured = [CalendarEvent(e.date, e.title, e.kind, origin="config") for e in settings.events]
    events = events_between(session, weeks[0] - timedelta(days=LEAD_DAYS),
                            week + timedelta(days=6), configured)  # fmt: skip
    this_week = [*label_rows, *(r for d in ("target", "narrative", "threat_target")
                                for r in _this_week(history[d], week))]  # fmt: skip
    spike_rows = [r for r in this_week if r.test.spike]
    return WeeklyReport(
        locality=settings.locality.name,
        timezone=settings.locality.timezone,
        week_start=week,
        generated_at=now or utcnow(),
        model_name=model.name if model else None,
        model_created_at=model.created_at if model else None,
        calibration=estimates(session, model_id, recent) if model_id is not None else [],
        spike_z=alerts.spike_z,
        min_count=alerts.min_count,
        total=total,
        sources=_sources(session, model_id, week, health),
        labels=[r for r in label_rows if r.key in LABELS],
        targets=_ranked(_this_week(history["target"], week)),
        narratives=_ranked(_this_week(history["narrative"], week)),
        threat_targets=_this_week(history["threat_target"], week),
        officials=officials_weeks(session, model_id, recent, kinds),
        watchlist_configured=bool(settings.watchlist),
        gaps={w: [h for h in health if h.week_start == w and h.gap] for w in gaps},
        history=history,
        places=trends.top_places(session, model_id, week, TOP_PLACES),
        terms=terms,
        concentration=stats.concentration_of(*trends.flagged_per_author(session, model_id, week)),
        sample=[
            _clip(post)
            for post in trends.flagged_sample(session, model_id, week, settings.report.sample_size)
        ],
        events=events,
        spike_starts=_spike_starts(session, model_id, week, settings, spike_rows, events),
        storylines=week_storylines(session, model_id, week),
        bursts=week_bursts(session, model_id, week, settings.coordination),
        coordination=settings.coordination,
        review_url=settings.review.public_url,
    )


def _spike_starts(
    session: Session,
    model_id: int | None,
    week: date,
    settings: Settings,
    rows: list[report_trends.TrendRow],
    events: list[CalendarEvent],
) -> dict[str, SpikeStart]:
    starts = {}
    for row in rows:
        daily = trends.daily_flagged(
            session, model_id, week, row.dimension, row.key, settings.locality.zone
        )
        began = spike_began(week, daily, row.test.baseline_flagged, row.test.baseline_weeks)
        starts[f"{row.dimension}:{row.key}"] = SpikeStart(began, events_before(began, events))
    return starts


def _sources(
    session: Session, model_id: int | None, week: date, health: list[SourceWeekHealth]
) -> list[SourceVolume]:
    current = {r.source: r for r in trends.source_weeks(session, model_id, week, week)}
    checked = {h.source: h for h in health if h.week_start == week}
    volumes = []
    for name in sorted(set(current) | set(checked)):
        row = current.get(name)
        volumes.append(
            SourceVolume(
                name,
                row.collected if row else 0,
                row.assessed if row else 0,
                row.flagged if row else 0,
                checked.get(name),
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
