"""The statistics of the weekly report: the spike test, concentration among accounts,
and the Wilson interval of a measured precision.

Spike test (quasi-Poisson, trailing four-week baseline). For a key (a label, a target,
a narrative or a source) in week w, with baseline weeks b = w-4 .. w-1:

    p0  = sum(O_b) / sum(N_b)                 pooled baseline rate (0.5 / sum(N_b) if no flags)
    E   = p0 * N_w                            expected flags at this week's volume
    phi = max(1, sum((O_b - p0 N_b)^2 / (p0 N_b)) / (B - 1))   over-dispersion (Pearson)
    Var = phi * E * (1 + N_w / sum(N_b))      Poisson noise of this week and of p0
    z   = (O_w - E) / sqrt(Var)

and a spike is z >= alerts.spike_z with O_w >= alerts.min_count. Only baseline weeks
with assessed posts and without a collection gap count (B of them); fewer than two gives
no test. A collection gap (store/health.py: a source far below its own baseline, or not
crawled) makes a quiet week look calm, so a gap week never enters a baseline (for the
source dimension: a week with a gap in that source), and its rows carry the names of the
sources with a gap (`TrendRow.gap`) so that a fall there is not read as less hostility.
Scaling by this week's volume keeps a busier week from reading as a spike; the
dispersion factor keeps bursty series (an election week) from alerting on ordinary
swings; the second term of the variance accounts for the baseline itself being an
estimate; the half-count keeps a first-ever flag measurable without dividing by zero. The "baseline band" on the
charts is E +/- spike_z * sqrt(Var), as a rate: the range the test accepts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scipy.stats import binomtest


@dataclass(slots=True, frozen=True)
class SpikeTest:
    observed: int
    posts: int
    baseline_flagged: int
    baseline_posts: int
    baseline_weeks: int
    expected: float | None = None
    dispersion: float | None = None
    variance: float | None = None
    z: float | None = None
    spike: bool = False

    @property
    def rate(self) -> float | None:
        return per_thousand(self.observed, self.posts)

    @property
    def baseline_rate(self) -> float | None:
        return per_thousand(self.baseline_flagged, self.baseline_posts)

    def band(self, z: float) -> tuple[float, float] | None:
        """The rates (per 1,000) within which the test finds no spike at threshold z."""
        if self.expected is None or self.variance is None or not self.posts:
            return None
        half = z * math.sqrt(self.variance)
        scale = 1000 / self.posts
        return max(0.0, (self.expected - half) * scale), (self.expected + half) * scale


def per_thousand(count: int, posts: int) -> float | None:
    return count * 1000 / posts if posts else None


def spike_test(
    observed: int,
    posts: int,
    baseline: Sequence[tuple[int, int]],
    spike_z: float,
    min_count: int,
) -> SpikeTest:
    """The quasi-Poisson test of the module docstring; baseline is [(flagged, posts)]."""
    weeks = [(o, n) for o, n in baseline if n > 0]
    base_flagged = sum(o for o, _ in weeks)
    base_posts = sum(n for _, n in weeks)
    result = SpikeTest(observed, posts, base_flagged, base_posts, len(weeks))
    if len(weeks) < 2 or posts <= 0:
        return result
    p0 = (base_flagged if base_flagged else 0.5) / base_posts
    pearson = sum((o - p0 * n) ** 2 / (p0 * n) for o, n in weeks)
    dispersion = max(1.0, pearson / (len(weeks) - 1))
    expected = p0 * posts
    variance = dispersion * expected * (1 + posts / base_posts)
    z = (observed - expected) / math.sqrt(variance)
    return SpikeTest(
        observed,
        posts,
        base_flagged,
        base_posts,
        len(weeks),
        expected,
        dispersion,
        variance,
        z,
        spike=z >= spike_z and observed >= min_count,
    )


@dataclass(slots=True, frozen=True)
class Concentration:
    """How concentrated the week's flagged posts are among pseudonymous accounts.

    Computed over the accounts with at least one flagged post that week ("flagging
    accounts"); posts without a known author are left out and counted separately.
    """

    flagged_posts: int
    flagging_accounts: int
    active_accounts: int
    top1pct_accounts: int
    top1pct_share: float | None
    top10_share: float | None
    gini: float | None
    unattributed_posts: int
    counts: tuple[int, ...] = ()


def gini(values: Iterable[int]) -> float | None:
    """Gini coefficient of non-negative counts (0 = equal, towards 1 = one holds all)."""
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return None
    weighted = sum(rank * value for rank, value in enumerate(ordered, start=1))
    return 2 * weighted / (n * total) - (n + 1) / n


def concentration_of(
    counts: Sequence[int], active_accounts: int, unattributed: int
) -> Concentration:
    ordered = sorted((c for c in counts if c > 0), reverse=True)
    total = sum(ordered)
    top1 = math.ceil(len(ordered) / 100) if ordered else 0
    return Concentration(
        flagged_posts=total,
        flagging_accounts=len(ordered),
        active_accounts=active_accounts,
        top1pct_accounts=top1,
        top1pct_share=sum(ordered[:top1]) / total if total else None,
        top10_share=sum(ordered[:10]) / total if total else None,
        gini=gini(ordered),
        unattributed_posts=unattributed,
        counts=tuple(ordered),
    )


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (scipy's, not a copy of it)."""
    interval = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)
