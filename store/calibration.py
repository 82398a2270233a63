"""The calibration sample: precision (and recall) measured without selection bias.

Reviews from the priority queue are the posts the model was surest of, so their share
of confirmations overstates precision. The calibration queue instead draws, per week
and label, a seeded uniform random sample of the posts the model flagged with that
label (and a smaller one of the posts it did not flag with it), and only reviews made
from that queue (`reviews.queue = 'calibration'`) count here.

Draw: each candidate post gets the key SHA-256("<seed>:<post id>"); the sample is the
candidates with the smallest keys. That is a uniform random sample that stays the same
as the week fills up (posts already drawn stay drawn), so analysts can work it across
days. Truth for a label, from the latest calibration review of the post: `confirm` and
`escalate` keep the model's flags; `correct` gives the corrected flags; `reject` means
no label applies. An `escalate` that carries corrected labels gives those (the review
app's blind calibration form records the analyst's own labels with an escalation).

Estimates per (week, label):
- precision = flagged-sample posts that truly carry the label / flagged-sample posts
  reviewed, with a Wilson 95% interval;
- miss rate = unflagged-sample posts that truly carry it / unflagged-sample reviewed;
- recall ≈ TP / (TP + FN) with TP = precision × flagged posts and FN = miss rate ×
  unflagged posts of the week (shown only when both samples have reviews).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import LABELS, Classification, Post, Review
from store.trends import wilson_interval

DEFAULT_SEED = "cohesion-calibration-v1"
FLAGGED_PER_WEEK_LABEL = 20
UNFLAGGED_PER_WEEK_LABEL = 5


@dataclass(slots=True, frozen=True)
class CalibrationItem:
    post_id: int
    week_start: date
    label: str
    stratum: str  # "flagged" or "unflagged"


@dataclass(slots=True, frozen=True)
class CalibrationEstimate:
    week_start: date
    label: str
    flagged_total: int
    unflagged_total: int
    flagged_reviewed: int
    true_positives: int
    unflagged_reviewed: int
    misses: int

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


def _key(seed: str, post_id: int) -> str:
    return hashlib.sha256(f"{seed}:{post_id}".encode()).hexdigest()


def _week_posts(
    session: Session, model_version_id: int, week: date, label: str
) -> tuple[list[int], list[int]]:
    flag = getattr(Classification, f"flag_{label}")
    query = (
        select(Post.id, flag)
        .join(Classification, Classification.post_id == Post.id)
        .where(Classification.model_version_id == model_version_id, Post.week_start == week)
    )
    flagged: list[int] = []
    unflagged: list[int] = []
    for post_id, is_flagged in session.execute(query):
        (flagged if is_flagged else unflagged).append(post_id)
    return flagged, unflagged


def _sample(ids: list[int], n: int, seed: str, label: str) -> list[int]:
    return sorted(ids, key=lambda post_id: _key(f"{seed}:{label}", post_id))[:n]


def draw(
    session: Session,
    model_version_id: int,
    weeks: list[date],
    *,
    flagged_n: int = FLAGGED_PER_WEEK_LABEL,
    unflagged_n: int = UNFLAGGED_PER_WEEK_LABEL,
    seed: str = DEFAULT_SEED,
    labels: tuple[str, ...] = LABELS,
) -> list[CalibrationItem]:
    """The calibration sample of the weeks, per week and label (a post may recur)."""
    items: list[CalibrationItem] = []
    for week in weeks:
        for label in labels:
            flagged, unflagged = _week_posts(session, model_version_id, week, label)
            items += [
                CalibrationItem(i, week, label, "flagged")
                for i in _sample(flagged, flagged_n, seed, label)
            ]
            items += [
                CalibrationItem(i, week, label, "unflagged")
                for i in _sample(unflagged, unflagged_n, seed, label)
            ]
    return items


def pending(
    session: Session, model_version_id: int, weeks: list[date], **kwargs: object
) -> list[CalibrationItem]:
    """Sampled posts without a calibration review yet, one entry per post."""
    items = draw(session, model_version_id, weeks, **kwargs)  # type: ignore[arg-type]
    reviewed = _calibration_truth(session, model_version_id, {i.post_id for i in items})
    seen: set[int] = set()
    result = []
    for item in items:
        if item.post_id in reviewed or item.post_id in seen:
            continue
        seen.add(item.post_id)
        result.append(item)
    return result


def _calibration_truth(
    session: Session, model_version_id: int, post_ids: set[int]
) -> dict[int, set[str]]:
    """post id -> the labels the latest calibration review says the post carries."""
    if not post_ids:
        return {}
    latest = (
        select(Review.post_id, func.max(Review.id).label("review_id"))
        .where(Review.queue == "calibration", Review.post_id.in_(post_ids))
        .group_by(Review.post_id)
        .subquery()
    )
    query = (
        select(Review, Classification)
        .join(latest, latest.c.review_id == Review.id)
        .outerjoin(
            Classification,
            (Classification.post_id == Review.post_id)
            & (Classification.model_version_id == model_version_id),
        )
    )
    truth: dict[int, set[str]] = {}
    for review, classification in session.execute(query):
        model_flags = {
            label
            for label in LABELS
            if classification is not None and getattr(classification, f"flag_{label}")
        }
        if review.decision == "reject":
            truth[review.post_id] = set()
        elif review.decision == "correct" or (
            review.decision == "escalate" and review.corrected_labels is not None
        ):
            truth[review.post_id] = set((review.corrected_labels or {}).get("flags", []))
        else:  # confirm, escalate
            truth[review.post_id] = model_flags
    return truth


def estimates(
    session: Session,
    model_version_id: int,
    weeks: list[date],
    *,
    seed: str = DEFAULT_SEED,
    flagged_n: int = FLAGGED_PER_WEEK_LABEL,
    unflagged_n: int = UNFLAGGED_PER_WEEK_LABEL,
) -> list[CalibrationEstimate]:
    """Precision per week and label from calibration reviews only (see module doc)."""
    strata = {
        (week, label): _week_posts(session, model_version_id, week, label)
        for week in weeks
        for label in LABELS
    }
    samples = {
        key: (
            _sample(flagged, flagged_n, seed, key[1]),
            _sample(unflagged, unflagged_n, seed, key[1]),
        )
        for key, (flagged, unflagged) in strata.items()
    }
    every_post = {i for f, u in samples.values() for i in (*f, *u)}
    truth = _calibration_truth(session, model_version_id, every_post)
    result = []
    for (week, label), (flagged_sample, unflagged_sample) in samples.items():
        flagged, unflagged = strata[(week, label)]
        reviewed_flagged = [i for i in flagged_sample if i in truth]
        reviewed_unflagged = [i for i in unflagged_sample if i in truth]
        result.append(
            CalibrationEstimate(
                week,
                label,
                len(flagged),
                len(unflagged),
                len(reviewed_flagged),
                sum(label in truth[i] for i in reviewed_flagged),
                len(reviewed_unflagged),
                sum(label in truth[i] for i in reviewed_unflagged),
            )
        )
    return result
