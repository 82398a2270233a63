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

Counts per (week, label): posts flagged and not flagged, sample posts reviewed in each
stratum, and how many of them truly carry the label. The estimates made from them
(precision with its interval, miss rate, recall) are the report's: reports/calibration.py.
"""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass
from datetime import date

import numpy as np
from cohesion.store.models import Classification, Post, Review
from cohesion.taxonomy import LABELS
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

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
class CalibrationCounts:
    week_start: date
    label: str
    flagged_total: int
    unflagged_total: int
    flagged_reviewed: int
    true_positives: int
    unflagged_reviewed: int
    misses: int


def _key(seed: str, post_id: int) -> str:
    return hashlib.sha256(f"{seed}:{post_id}".encode()).hexdigest()


@dataclass(slots=True, frozen=True)
class _Stratum:
    """One week and label: the posts the model flagged with it, the others, and the
    seeded samples of each."""

    week_start: date
    label: str
    flagged: list[int]
    unflagged: list[int]
    flagged_sample: list[int]
    unflagged_sample: list[int]


def _week_posts(
    session: Session, model_version_id: int, week: date, labels: tuple[str, ...]
) -> dict[str, tuple[list[int], list[int]]]:
    """label -> (flagged post ids, unflagged post ids) of the week, in one query."""
    c = Classification.__table__
    model_of_post = (c.c.post_id == Post.id) & (c.c.model_version_id == model_version_id)
    if session.get_bind().dialect.name == "postgresql":
        # Each post's classification by its unique index, whatever the history: see
        # store/effective.py (SHORT_RANGE_WEEKS) for why not a plain join. The ids come
        # back as arrays (every post's, then each label's flagged ones): one row to
        # read instead of a row per post.
        c = select(c).where(model_of_post).offset(0).lateral("c")
        arrays = (
            select(
                func.array_agg(Post.id),
                *(func.array_agg(Post.id).filter(c.c[f"flag_{label}"]) for label in labels),
            )
            .select_from(Post)
            .join(c, true())
            .where(Post.week_start == week)
        )
        every, *flagged = session.execute(arrays).one()
        split: dict[str, tuple[list[int], list[int]]] = {}
        for label, ids in zip(labels, flagged, strict=True):
            chosen = set(ids or ())
            split[label] = (list(ids or ()), [i for i in every or () if i not in chosen])
        return split
    query = (
        select(Post.id, *(c.c[f"flag_{label}"] for label in labels))
        .join(c, model_of_post)
        .where(Post.week_start == week)
    )
    rows = session.execute(query).all()
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    flags = np.array([row[1:] for row in rows], dtype=bool).reshape(len(rows), len(labels))
    return {
        label: (ids[flags[:, k]].tolist(), ids[~flags[:, k]].tolist())
        for k, label in enumerate(labels)
    }


def _sample(ids: list[int], n: int, seed: str, label: str) -> list[int]:
    """The n ids with the smallest keys `_key(f"{seed}:{label}", id)`, smallest first.

    The same draw, cheaper: the digest compared instead of its hex form (the same
    order), and only the n smallest kept in order (keys are distinct, so ids are never
    compared) instead of sorting every id."""
    if n <= 0:
        return []
    prefix, sha256 = f"{seed}:{label}:".encode(), hashlib.sha256
    keys = [sha256(prefix + b"%d" % post_id).digest() for post_id in ids]
    return [post_id for _, post_id in heapq.nsmallest(n, zip(keys, ids, strict=True))]


def _strata(
    session: Session,
    model_version_id: int,
    weeks: list[date],
    labels: tuple[str, ...],
    flagged_n: int,
    unflagged_n: int,
    seed: str,
) -> list[_Stratum]:
    strata = []
    for week in weeks:
        for label, (flagged, unflagged) in _week_posts(
            session, model_version_id, week, labels
        ).items():
            strata.append(
                _Stratum(
                    week,
                    label,
                    flagged,
                    unflagged,
                    _sample(flagged, flagged_n, seed, label),
                    _sample(unflagged, unflagged_n, seed, label),
                )
            )
    return strata


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
    for s in _strata(session, model_version_id, weeks, labels, flagged_n, unflagged_n, seed):
        items += [CalibrationItem(i, s.week_start, s.label, "flagged") for i in s.flagged_sample]
        items += [
            CalibrationItem(i, s.week_start, s.label, "unflagged") for i in s.unflagged_sample
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


def counts(
    session: Session,
    model_version_id: int,
    weeks: list[date],
    *,
    seed: str = DEFAULT_SEED,
    flagged_n: int = FLAGGED_PER_WEEK_LABEL,
    unflagged_n: int = UNFLAGGED_PER_WEEK_LABEL,
) -> list[CalibrationCounts]:
    """The calibration counts per week and label, from calibration reviews only."""
    strata = _strata(session, model_version_id, weeks, LABELS, flagged_n, unflagged_n, seed)
    every_post = {i for s in strata for i in (*s.flagged_sample, *s.unflagged_sample)}
    truth = _calibration_truth(session, model_version_id, every_post)
    result = []
    for s in strata:
        reviewed_flagged = [i for i in s.flagged_sample if i in truth]
        reviewed_unflagged = [i for i in s.unflagged_sample if i in truth]
        result.append(
            CalibrationCounts(
                s.week_start,
                s.label,
                len(s.flagged),
                len(s.unflagged),
                len(reviewed_flagged),
                sum(s.label in truth[i] for i in reviewed_flagged),
                len(reviewed_unflagged),
                sum(s.label in truth[i] for i in reviewed_unflagged),
            )
        )
    return result
