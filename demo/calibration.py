"""The demo analyst works the calibration queue, honestly.

The posts are exactly those the review app's calibration queue offers
(`store.calibration.pending`: per week and label, a seeded uniform sample of the posts
the model flagged with the label and a smaller one of those it did not). Each is
reviewed the way a careful analyst would, by the codebook: the decision comes from the
post's intended labels in the generated corpus (its ground truth), never from the
model. Intended labels equal to the model's flags: confirm; no intended label: reject;
otherwise: correct to the intended labels. The weekly report then states the precision
these reviews measure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from cohesion.demo.corpus import DemoCorpus
from cohesion.demo.pools import Truth
from cohesion.store.calibration import pending
from cohesion.store.decisions import record_decision
from cohesion.store.models import Classification, Post
from cohesion.store.status import active_model
from sqlalchemy import select
from sqlalchemy.orm import Session

LABEL_ORDER = ("hate", "anti_government", "threat", "doxxing")


@dataclass
class CalibrationResult:
    reviewed: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    per_week: dict[date, int] = field(default_factory=dict)  # posts reviewed
    flagged_per_week: dict[date, int] = field(default_factory=dict)  # of them, flagged
    upheld_per_week: dict[date, int] = field(default_factory=dict)  # flagged and truly so
    unmatched: int = 0  # sampled posts the corpus does not know (should stay 0)


def decide(model_flags: list[str], truth: Truth) -> tuple[str, dict[str, list[str]] | None]:
    """The codebook decision on one post and, for a correction, the labels."""
    if set(truth.labels) == set(model_flags):
        return "confirm", None
    if not truth.labels:
        return "reject", None
    return "correct", {
        "flags": [label for label in LABEL_ORDER if label in truth.labels],
        "targets": list(truth.targets),
        "narratives": list(truth.narratives),
        "threat_targets": [t for t in truth.threat_targets if t != "none"],
    }


def review_sample(
    session: Session,
    corpus: DemoCorpus,
    *,
    user_id: int,
    actor: str,
    weeks: list[date],
) -> CalibrationResult:
    """Review every pending calibration post of `weeks` (queue "calibration")."""
    model = active_model(session)
    result = CalibrationResult()
    if model is None:
        return result
    items = pending(session, model.id, weeks)
    classifications = {
        c.post_id: c
        for c in session.scalars(
            select(Classification).where(
                Classification.model_version_id == model.id,
                Classification.post_id.in_([item.post_id for item in items]),
            )
        )
    }
    for item in sorted(items, key=lambda i: i.post_id):
        post = session.get_one(Post, item.post_id)
        truth = corpus.truth_of(post.platform, post.created_at)
        if truth is None:
            result.unmatched += 1
            continue
        classification = classifications.get(item.post_id)
        flags = [
            label
            for label in LABEL_ORDER
            if classification is not None and getattr(classification, f"flag_{label}")
        ]
        decision, labels = decide(flags, truth)
        record_decision(
            session,
            post_id=item.post_id,
            user_id=user_id,
            actor=actor,
            decision=decision,
            queue="calibration",
            corrected_labels=labels,
            note="demo: reviewed by the corpus's intended labels",
        )
        result.decisions[decision] += 1
        result.reviewed += 1
        week = item.week_start
        result.per_week[week] = result.per_week.get(week, 0) + 1
        if flags:  # a flagged post: does any intended label hold it up?
            result.flagged_per_week[week] = result.flagged_per_week.get(week, 0) + 1
            upheld = result.upheld_per_week.get(week, 0) + bool(truth.labels)
            result.upheld_per_week[week] = upheld
    return result
