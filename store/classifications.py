"""Model versions and the classifications they write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cohesion.store.models import Classification, ClassificationTag, ModelVersion
from cohesion.store.types import utcnow
from cohesion.taxonomy import LABELS
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

# How much a flag of each label weighs in the review queue's priority.
SEVERITY: dict[str, float] = {"threat": 1.0, "doxxing": 0.9, "hate": 0.7, "anti_government": 0.5}
TAG_KINDS = ("target", "narrative", "threat_target", "watchlist")


@dataclass(slots=True)
class ClassificationRecord:
    """One post's prediction in store terms (the store knows no classifier)."""

    post_id: int
    flags: Sequence[str]
    scores: Mapping[str, float]
    targets: Sequence[str] = ()
    narratives: Sequence[str] = ()
    threat_targets: Sequence[str] = ()
    watchlist: Sequence[str] = ()
    evidence: list[dict[str, Any]] = field(default_factory=list)


def register_model_version(
    session: Session,
    name: str,
    *,
    path: str | None,
    training_summary: dict[str, Any],
    metrics: dict[str, Any],
    thresholds: dict[str, Any],
    activate: bool = True,
) -> ModelVersion:
    """Create the row for a model version (or return the existing one) and make it current."""
    version = session.scalar(select(ModelVersion).where(ModelVersion.name == name))
    if version is None:
        version = ModelVersion(
            name=name,
            path=path,
            training_summary=training_summary,
            metrics=metrics,
            thresholds=thresholds,
            is_active=False,
        )
        session.add(version)
        session.flush()
    if activate:
        session.execute(
            update(ModelVersion).where(ModelVersion.id != version.id).values(is_active=False)
        )
        version.is_active = True
    return version


def priority_of(flags: Sequence[str], scores: Mapping[str, float], local: bool) -> float:
    """Severity x score x locality: the review queue's order."""
    if not flags:
        return 0.0
    best = max(SEVERITY.get(label, 0.5) * float(scores.get(label, 0.0)) for label in flags)
    return round(best * (1.0 if local else 0.8), 6)


def save_classifications(
    session: Session,
    model_version_id: int,
    records: Iterable[ClassificationRecord],
    local_post_ids: set[int] | None = None,
) -> int:
    """Store one classification per (post, model version); a post already done is skipped.

    Written with two Core bulk INSERTs (the classifications, with RETURNING of their ids
    in input order, then their tags) rather than through the unit of work: the ORM
    spent a third of `cohesion classify`'s time building and flushing objects.
    """
    records = list(records)
    if not records:
        return 0
    done = set(
        session.scalars(
            select(Classification.post_id).where(
                Classification.model_version_id == model_version_id,
                Classification.post_id.in_([r.post_id for r in records]),
            )
        )
    )
    fresh: list[ClassificationRecord] = []
    for record in records:
        if record.post_id not in done:
            done.add(record.post_id)
            fresh.append(record)
    if not fresh:
        return 0
    now = utcnow()
    rows = [_classification_row(record, model_version_id, now, local_post_ids) for record in fresh]
    statement = insert(Classification).returning(Classification.id, sort_by_parameter_order=True)
    ids = session.scalars(statement, rows).all()
    tags = [
        {"classification_id": classification_id, "kind": kind, "value": value}
        for classification_id, record in zip(ids, fresh, strict=True)
        for kind, values in (
            ("target", record.targets),
            ("narrative", record.narratives),
            ("threat_target", record.threat_targets),
            ("watchlist", record.watchlist),
        )
        for value in dict.fromkeys(values)
    ]
    if tags:
        session.execute(insert(ClassificationTag), tags)
    from cohesion.store.rollups import mark_posts  # the weeks' trend rollups are stale

    mark_posts(session, [record.post_id for record in fresh])
    return len(fresh)


def _classification_row(
    record: ClassificationRecord,
    model_version_id: int,
    now: datetime,
    local_post_ids: set[int] | None,
) -> dict[str, Any]:
    flags = [label for label in LABELS if label in record.flags]
    return {
        "post_id": record.post_id,
        "model_version_id": model_version_id,
        "created_at": now,
        "flagged": bool(flags),
        "evidence": list(record.evidence),
        "priority": priority_of(
            flags,
            record.scores,
            local=local_post_ids is None or record.post_id in local_post_ids,
        ),
        **{f"flag_{label}": label in flags for label in LABELS},
        **{f"score_{label}": float(record.scores.get(label, 0.0)) for label in LABELS},
    }
