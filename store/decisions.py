"""Analysts' decisions: recording them, exporting them, and reading them as training data.

A post's reviews are append-only: every decision adds a `reviews` row and its audit row
in the caller's transaction, so both are committed together or not at all. The latest
decision is the post's status (see store.review_queries). Confirm keeps the model's
labels, correct records the analyst's, reject says the post carries none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cohesion.store.audit import record_audit
from cohesion.store.models import (
    REVIEW_DECISIONS,
    Classification,
    ModelVersion,
    Post,
    Review,
    Source,
    User,
)
from cohesion.store.review_queries import QUEUES, ReviewInputError, classification_for
from cohesion.store.types import utcnow
from cohesion.taxonomy import LABELS
from sqlalchemy import func, select
from sqlalchemy.orm import Session

CORRECTION_KEYS: tuple[str, ...] = ("flags", "targets", "narratives", "threat_targets")
MAX_NOTE_CHARS = 4000


@dataclass(slots=True, frozen=True)
class ReviewedExample:
    """A post as a training example: the labels an analyst confirmed or corrected."""

    post_id: int
    text: str
    flags: list[str]
    targets: list[str]
    narratives: list[str]
    threat_targets: list[str]
    decision: str
    queue: str = "priority"  # "calibration": from the seeded sample that measures precision


# --- decisions --------------------------------------------------------------------------


def normalise_correction(labels: Mapping[str, Any] | None) -> dict[str, list[str]]:
    labels = labels or {}
    unknown = set(labels) - set(CORRECTION_KEYS)
    if unknown:
        raise ReviewInputError(f"unknown correction keys: {', '.join(sorted(unknown))}")
    out: dict[str, list[str]] = {}
    for key in CORRECTION_KEYS:
        values = labels.get(key) or []
        if isinstance(values, str) or not all(isinstance(v, str) for v in values):
            raise ReviewInputError(f"corrected {key} must be a list of names")
        out[key] = sorted(dict.fromkeys(v.strip() for v in values if v.strip()))
    bad = set(out["flags"]) - set(LABELS)
    if bad:
        raise ReviewInputError(f"unknown labels: {', '.join(sorted(bad))}")
    return out


def record_decision(
    session: Session,
    *,
    post_id: int,
    user_id: int,
    actor: str,
    decision: str,
    queue: str = "priority",
    note: str | None = None,
    corrected_labels: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> int:
    """Append a review of the post and its audit row; returns the review id.

    Corrected labels are kept with `correct`, and with `escalate` when given (the blind
    calibration form records the analyst's labels with an escalation)."""
    if decision not in REVIEW_DECISIONS:
        raise ReviewInputError(f"unknown decision {decision!r} (use {', '.join(REVIEW_DECISIONS)})")
    if queue not in QUEUES:
        raise ReviewInputError(f"unknown queue {queue!r}")
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE_CHARS:
        raise ReviewInputError(f"the note is longer than {MAX_NOTE_CHARS} characters")
    post = session.get(Post, post_id)
    if post is None:
        raise LookupError(f"no post with id {post_id}")
    from cohesion.store.rollups import mark_weeks
    from cohesion.store.status import active_model  # local: status imports nothing from here

    mark_weeks(session, [post.week_start])  # the week's trend rollup is stale (rollups.py)

    classification = classification_for(session, post_id, active_model(session))
    keep_labels = decision == "correct" or (decision == "escalate" and corrected_labels is not None)
    review = Review(
        post_id=post_id,
        classification_id=classification.id if classification else None,
        user_id=user_id,
        decision=decision,
        queue=queue,
        note=note,
        created_at=utcnow(),
        corrected_labels=normalise_correction(corrected_labels) if keep_labels else None,
    )
    session.add(review)
    session.flush()
    record_audit(
        session,
        f"review.{decision}",
        user_id=user_id,
        actor=actor,
        object_type="post",
        object_id=str(post_id),
        detail={"review_id": review.id, "queue": queue},
        ip=ip,
    )
    return review.id


EXPORT_COLUMNS: tuple[str, ...] = (
    "review_id",
    "reviewed_at",
    "reviewer",
    "decision",
    "queue",
    "post_id",
    "platform",
    "external_id",
    "url",
    "source",
    "week_start",
    "model_version",
    "model_flags",
    "corrected_flags",
    "corrected_targets",
    "corrected_narratives",
    "corrected_threat_targets",
    "note",
)


def export_decisions(session: Session) -> list[dict[str, Any]]:
    """Every decision, oldest first, one dict per row with EXPORT_COLUMNS as keys.
    Post text is left out: the export is for counting and auditing, not re-sharing."""
    query = (
        select(Review, User.username, Post, Source.name, Classification, ModelVersion.name)
        .join(Post, Post.id == Review.post_id)
        .outerjoin(User, User.id == Review.user_id)
        .outerjoin(Source, Source.id == Post.source_id)
        .outerjoin(Classification, Classification.id == Review.classification_id)
        .outerjoin(ModelVersion, ModelVersion.id == Classification.model_version_id)
        .order_by(Review.id)
    )
    rows = []
    for review, username, post, source, c, model_name in session.execute(query):
        corrected = review.corrected_labels or {}
        rows.append(
            {
                "review_id": review.id,
                "reviewed_at": review.created_at.isoformat(),
                "reviewer": username,
                "decision": review.decision,
                "queue": review.queue,
                "post_id": post.id,
                "platform": post.platform,
                "external_id": post.external_id,
                "url": post.url,
                "source": source,
                "week_start": post.week_start.isoformat(),
                "model_version": model_name,
                "model_flags": " ".join(
                    label for label in LABELS if c is not None and getattr(c, f"flag_{label}")
                ),
                **{f"corrected_{k}": " ".join(corrected.get(k, [])) for k in CORRECTION_KEYS},
                "note": review.note,
            }
        )
    return rows


def reviewed_examples(session: Session) -> list[ReviewedExample]:
    """The latest confirm/reject/correct decision of every post, as labelled examples.
    Confirm keeps the model's labels, correct the analyst's, reject none (a negative)."""
    latest = select(func.max(Review.id)).group_by(Review.post_id)
    query = (
        select(Review, Post.text, Classification)
        .join(Post, Post.id == Review.post_id)
        .outerjoin(Classification, Classification.id == Review.classification_id)
        .where(Review.id.in_(latest), Review.decision.in_(["confirm", "reject", "correct"]))
        .order_by(Review.post_id)
    )
    examples = []
    for review, text, c in session.execute(query):
        labels: dict[str, list[str]] = {key: [] for key in CORRECTION_KEYS}
        if review.decision == "correct":
            labels.update(normalise_correction(review.corrected_labels))
        elif review.decision == "confirm":
            if c is None:  # the model version was deleted: its labels are unknown
                continue
            labels["flags"] = [label for label in LABELS if getattr(c, f"flag_{label}")]
            for tag in c.tags:
                key = {"target": "targets", "narrative": "narratives"}.get(
                    tag.kind, "threat_targets"
                )
                if tag.kind in ("target", "narrative", "threat_target"):
                    labels[key].append(tag.value)
        examples.append(
            ReviewedExample(
                review.post_id,
                text,
                labels["flags"],
                labels["targets"],
                labels["narratives"],
                labels["threat_targets"],
                review.decision,
                review.queue or "priority",
            )
        )
    return examples
