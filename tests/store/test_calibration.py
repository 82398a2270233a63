"""Calibration sample: seeded uniform draws and unbiased precision (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from cohesion.reports import calibration as report_calibration
from cohesion.reports.stats import wilson_interval
from cohesion.store import calibration
from cohesion.store.classifications import (
    ClassificationRecord,
    register_model_version,
    save_classifications,
)
from cohesion.store.engine import session_scope
from cohesion.store.models import Review
from cohesion.store.posts import PostRecord, upsert_posts
from sqlalchemy.orm import Session, sessionmaker

WEEK = date(2026, 11, 16)


@pytest.fixture
def week_of_posts(sessions: sessionmaker[Session]) -> int:
    """30 posts flagged hate and 50 unflagged in one week; returns the model id."""
    t0 = datetime(2026, 11, 17, tzinfo=UTC)
    with session_scope(sessions) as session:
        upsert_posts(
            session,
            [
                PostRecord(
                    platform="rss",
                    external_id=str(i),
                    text=f"post {i}",
                    created_at=t0 + timedelta(minutes=i),
                )
                for i in range(80)
            ],
        )
        model = register_model_version(
            session, "m-1", path=None, training_summary={}, metrics={}, thresholds={}
        )
        save_classifications(
            session,
            model.id,
            [
                ClassificationRecord(
                    post_id=i + 1,
                    flags=["hate"] if i < 30 else [],
                    scores={"hate": 0.9 if i < 30 else 0.1},
                )
                for i in range(80)
            ],
        )
        return model.id


def test_draw_is_seeded_uniform_and_stable(
    sessions: sessionmaker[Session], week_of_posts: int
) -> None:
    with session_scope(sessions) as session:
        first = calibration.draw(session, week_of_posts, [WEEK], labels=("hate",))
        again = calibration.draw(session, week_of_posts, [WEEK], labels=("hate",))
        other = calibration.draw(session, week_of_posts, [WEEK], labels=("hate",), seed="x")
    flagged = [i.post_id for i in first if i.stratum == "flagged"]
    unflagged = [i.post_id for i in first if i.stratum == "unflagged"]
    assert first == again
    assert len(flagged) == 20 and all(1 <= i <= 30 for i in flagged)
    assert len(unflagged) == 5 and all(31 <= i <= 80 for i in unflagged)
    assert {i.post_id for i in other} != {i.post_id for i in first}
    # Not the highest-scored or the first posts: a draw, not a ranking.
    assert sorted(flagged) != list(range(1, 21))


def test_precision_and_recall_use_calibration_reviews_only(
    sessions: sessionmaker[Session], week_of_posts: int
) -> None:
    with session_scope(sessions) as session:
        sample = calibration.draw(session, week_of_posts, [WEEK], labels=("hate",))
        flagged = [i.post_id for i in sample if i.stratum == "flagged"]
        unflagged = [i.post_id for i in sample if i.stratum == "unflagged"]
        for n, post_id in enumerate(flagged):
            session.add(
                Review(
                    post_id=post_id, decision="confirm" if n < 15 else "reject", queue="calibration"
                )
            )
        for n, post_id in enumerate(unflagged):
            decision, labels = ("correct", {"flags": ["hate"]}) if n == 0 else ("confirm", None)
            session.add(
                Review(
                    post_id=post_id, decision=decision, corrected_labels=labels, queue="calibration"
                )
            )
        # Priority-queue reviews of other flagged posts must not move the estimate.
        others = [i for i in range(1, 31) if i not in flagged]
        for post_id in others:
            session.add(Review(post_id=post_id, decision="confirm", queue="priority"))
    with session_scope(sessions) as session:
        estimates = report_calibration.estimates(session, week_of_posts, [WEEK])
        pending = calibration.pending(session, week_of_posts, [WEEK])
    hate = next(e for e in estimates if e.label == "hate")
    assert (hate.flagged_total, hate.unflagged_total) == (30, 50)
    assert (hate.flagged_reviewed, hate.true_positives) == (20, 15)
    assert hate.precision == pytest.approx(0.75)
    assert hate.precision_interval == pytest.approx(wilson_interval(15, 20))
    assert hate.precision_interval[0] == pytest.approx(0.531, abs=1e-3)
    assert (hate.unflagged_reviewed, hate.misses) == (5, 1)
    assert hate.recall == pytest.approx(22.5 / (22.5 + 10.0))
    threat = next(e for e in estimates if e.label == "threat")
    assert threat.precision is None and threat.flagged_total == 0
    assert all(item.post_id not in flagged + unflagged for item in pending)


def test_an_escalation_with_labels_counts_those_labels(
    sessions: sessionmaker[Session], week_of_posts: int
) -> None:
    """Added with the review app's blind calibration form (issue #9): an escalation there
    carries the analyst's own labels; one without labels keeps the model's flags."""
    with session_scope(sessions) as session:
        sample = calibration.draw(session, week_of_posts, [WEEK], labels=("hate",))
        flagged = [i.post_id for i in sample if i.stratum == "flagged"]
        unflagged = [i.post_id for i in sample if i.stratum == "unflagged"]
        session.add(Review(post_id=flagged[0], decision="escalate", queue="calibration"))
        session.add(
            Review(
                post_id=flagged[1],
                decision="escalate",
                corrected_labels={"flags": ["threat"]},
                queue="calibration",
            )
        )
        session.add(
            Review(
                post_id=unflagged[0],
                decision="escalate",
                corrected_labels={"flags": ["hate"]},
                queue="calibration",
            )
        )
    with session_scope(sessions) as session:
        hate = next(
            e
            for e in report_calibration.estimates(session, week_of_posts, [WEEK])
            if e.label == "hate"
        )
    assert (hate.flagged_reviewed, hate.true_positives) == (2, 1)
    assert (hate.unflagged_reviewed, hate.misses) == (1, 1)
