"""Weekly trend rows: each week's count and rate per key, with its spike test.

The counts come from the store's weekly series (store/trends.py); the test is
reports/stats.py's. Weeks with a collection gap stay out of the baselines (see there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cohesion.reports.stats import SpikeTest, per_thousand, spike_test
from cohesion.store.health import BASELINE_WEEKS
from cohesion.store.trends import series_for
from cohesion.weeks import week_label
from sqlalchemy.orm import Session


@dataclass(slots=True, frozen=True)
class TrendRow:
    week_start: date
    dimension: str
    key: str
    flagged: int
    posts: int
    test: SpikeTest
    gap: tuple[str, ...] = ()  # sources with a collection gap this week (see module doc)

    @property
    def week(self) -> str:
        return week_label(self.week_start)

    @property
    def rate(self) -> float | None:
        return per_thousand(self.flagged, self.posts)

    def as_dict(self) -> dict[str, Any]:
        t = self.test
        return {
            "week": self.week,
            "week_start": self.week_start.isoformat(),
            "dimension": self.dimension,
            "key": self.key,
            "posts": self.posts,
            "flagged": self.flagged,
            "rate_per_1000": _round(self.rate),
            "baseline_rate_per_1000": _round(t.baseline_rate),
            "expected": _round(t.expected),
            "z": _round(t.z),
            "spike": t.spike,
            "collection_gap": ";".join(self.gap),
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def trend_rows(
    session: Session,
    model_id: int | None,
    by: str,
    weeks: Sequence[date],
    spike_z: float,
    min_count: int,
    gaps: Mapping[date, Sequence[str]] | None = None,
    *,
    direct: bool = False,
) -> list[TrendRow]:
    """One row per (week, key) over `weeks`, each with its spike test.

    `gaps` (week start -> sources with a collection gap, see `collection_gaps`) keeps
    gap weeks out of the baselines and marks the rows of gap weeks. `direct`: count
    from the effective labels rather than the rollup (see `label_series`).
    """
    if not weeks:
        return []
    first, last = min(weeks), max(weeks)
    first -= timedelta(weeks=BASELINE_WEEKS)
    series = series_for(session, model_id, by, first, last, direct=direct)
    gaps = gaps or {}

    def gap(week: date, key: str) -> tuple[str, ...]:
        sources = tuple(sorted(gaps.get(week, ())))
        if by == "source":
            return (key,) if key in sources else ()
        return sources

    rows = []
    for week in sorted(weeks):
        for key in series.keys:
            flagged, posts = series.get(week, key)
            before = [week - timedelta(weeks=n) for n in range(BASELINE_WEEKS, 0, -1)]
            baseline = [series.get(b, key) for b in before if not gap(b, key)]
            test = spike_test(flagged, posts, baseline, spike_z, min_count)
            rows.append(TrendRow(week, by, key, flagged, posts, test, gap(week, key)))
    return rows
