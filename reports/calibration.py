"""Precision and recall measured on the calibration sample (store/calibration.py).

Per (week, label):
- precision = flagged-sample posts that truly carry the label / flagged-sample posts
  reviewed, with a Wilson 95% interval;
- miss rate = unflagged-sample posts that truly carry it / unflagged-sample reviewed;
- recall ≈ TP / (TP + FN) with TP = precision × flagged posts and FN = miss rate ×
  unflagged posts of the week (shown only when both samples have reviews).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from cohesion.reports.stats import wilson_interval
from cohesion.store import calibration
from cohesion.store.calibration import CalibrationCounts
from sqlalchemy.orm import Session


@dataclass(slots=True, frozen=True)
class CalibrationEstimate(CalibrationCounts):
    """The counts of one week and label, with the estimates made from them."""

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.flagged_reviewed if self.flagged_reviewed else None

    @property
    def precision_interval(self) -> tuple[float, float] | None:
        if not self.flagged_reviewed:
            return None
        return wilson_interval(self.true_positives, self.flagged_reviewed)

    @property
    def recall(self) -> float | None:
        if not self.flagged_reviewed or not self.unflagged_reviewed:
            return None
        found = (self.precision or 0.0) * self.flagged_total
        missed = self.misses / self.unflagged_reviewed * self.unflagged_total
        return found / (found + missed) if found + missed else None


def estimates(
    session: Session, model_version_id: int, weeks: list[date], **sample: object
) -> list[CalibrationEstimate]:
    """Precision (and recall) per week and label; `sample` is store.calibration.counts'
    seed and sample sizes."""
    return [
        CalibrationEstimate(**asdict(c))
        for c in calibration.counts(session, model_version_id, weeks, **sample)  # type: ignore[arg-type]
    ]
