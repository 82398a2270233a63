"""Model versions and the classifications they write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import LABELS, Classification, ClassificationTag, ModelVersion

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
    """Store one classification per (post, model version); a post already done is skipped."""
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
    written = 0
    for record in records:
        if record.post_id in done:
            continue
        done.add(record.post_id)
        flags = [label for label in LABELS if label in record.flags]
        row = Classification(
            post_id=record.post_id,
            model_version_id=model_version_id,
            flagged=bool(flags),
            evidence=list(record.evidence),
            priority=priority_of(
                flags,
                record.scores,
                local=local_post_ids is None or record.post_id in local_post_ids,
            ),
            **{f"flag_{label}": label in flags for label in LABELS},
            **{f"score_{label}": float(record.scores.get(label, 0.0)) for label in LABELS},
        )
        for kind, values in (
            ("target", record.targets),
            ("narrative", record.narratives),
            ("threat_target", record.threat_targets),
            ("watchlist", record.watchlist),
        ):
            row.tags.extend(ClassificationTag(kind=kind, value=v) for v in dict.fromkeys(values))
        session.add(row)
        written += 1
    session.flush()
    if written:
        from store.rollups import mark_posts  # the weeks' trend rollups are stale

        mark_posts(session, [r.post_id for r in records])
    return written
