"""A small review-app world: two sources, one model, flagged, uncertain and hostile posts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from cohesion.review.auth import hash_password
from cohesion.store.classifications import (
    ClassificationRecord,
    register_model_version,
    save_classifications,
)
from cohesion.store.engine import session_scope
from cohesion.store.models import Post
from cohesion.store.posts import PostRecord, upsert_posts
from cohesion.store.runs import sync_source
from cohesion.store.users import create_user
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

ADMIN = ("ada", "ada-password-123")
ANALYST = ("alan", "alan-password-123")
THRESHOLDS = {"hate": 0.5, "anti_government": 0.6, "threat": 0.4, "doxxing": 0.5}
WEEK1 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # week of Monday 2026-03-02
WEEK2 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # week of Monday 2026-03-09
HOSTILE_TEXT = (
    "<script>alert('owned')</script> read this "
    '<a href="javascript:alert(1)">here</a> or javascript:alert(2) '
    "<img src=x onerror=alert(3)> {{ 7*7 }}"
)
FILLER = 30
FILLER_TEXTS = (
    "The council are traitors bought and paid for by the developers.",
    "The sheriff has no authority over free people, we won't comply.",
    "Mask orders were tyranny and the health board knew it.",
    "The county commission takes orders from globalist bankers.",
    "Every one of those clerks is a criminal, lock them all up.",
)


@cache
def _hash(password: str) -> str:
    return hash_password(password)  # argon2 is slow on purpose: hash once per test run


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)
    model_id: int = 0


def _post(key: str, text: str, when: datetime, source_id: int, **extra: object) -> PostRecord:
    return PostRecord(
        platform=str(extra.pop("platform", "reddit")),
        external_id=key,
        text=text,
        created_at=when,
        source_id=source_id,
        places=["Olathe"],
        **extra,  # type: ignore[arg-type]
    )


def seed(sessions: sessionmaker[Session], *, users: bool = True, filler: int = FILLER) -> World:
    world = World()
    with session_scope(sessions) as session:
        reddit = sync_source(session, "county-reddit", "reddit", {}, True)
        forum = sync_source(session, "county-forum", "discourse", {}, True)
        records = [
            _post(
                "t3_threat",
                "The commissioner should watch his back at the courthouse.",
                WEEK1,
                reddit.id,
                thread_id="t3_threat",
                url="https://reddit.example/r/olathe/t3_threat",
                author_pseudonym="a1b2c3",
            ),
            _post(
                "t3_hostile",
                HOSTILE_TEXT,
                WEEK1,
                reddit.id,
                url="javascript:alert(4)",
                title="<b>title</b><script>alert(5)</script>",
            ),
            _post(
                "t3_dox",
                "She lives at 12 Elm Street and her kids go to Oak school.",
                WEEK1 + timedelta(hours=1),
                reddit.id,
                url="https://reddit.example/t3_dox",
            ),
            _post(
                "f_fraud",
                "The county election was rigged, fake ballots everywhere.",
                WEEK2,
                forum.id,
                platform="discourse",
            ),
            _post(
                "t3_hate",
                "People like them don't belong in Olathe, send every last one back.",
                WEEK2,
                reddit.id,
            ),
            _post(
                "t3_reply",
                "Calm down, vote them out in November.",
                WEEK1 + timedelta(hours=2),
                reddit.id,
                thread_id="t3_threat",
                parent_id="t3_threat",
            ),
            _post("t3_near", "Someone ought to do something about that office.", WEEK2, reddit.id),
            _post("t3_plain", "The pool opens at nine on Saturdays.", WEEK2, reddit.id),
        ]
        records += [
            _post(
                f"f_{i}",
                f"{FILLER_TEXTS[i % len(FILLER_TEXTS)]} (thread {i})",
                WEEK2,
                forum.id,
                platform="discourse",
            )
            for i in range(filler)
        ]
        upsert_posts(session, records, "UTC")
        ids = {p.external_id: p.id for p in session.scalars(select(Post))}
        world.ids = ids
        model = register_model_version(
            session,
            "test-model-1",
            path=None,
            training_summary={},
            metrics={"hate": {"f1": 0.61, "precision": 0.7}, "threat": {"f1": 0.5}},
            thresholds=THRESHOLDS,
        )
        world.model_id = model.id
        evidence_threat = [{"start": 24, "end": 38, "label": "threat", "reason": "veiled threat"}]
        recs = [
            ClassificationRecord(
                ids["t3_threat"],
                ["threat", "anti_government"],
                {"threat": 0.92, "anti_government": 0.8},
                threat_targets=["official"],
                narratives=["corruption_traitor"],
                evidence=evidence_threat,
            ),
            ClassificationRecord(
                ids["t3_hostile"],
                ["hate"],
                {"hate": 0.8},
                targets=["muslim"],
                evidence=[{"start": 0, "end": 31, "label": "hate", "reason": "<i>x</i>"}],
            ),
            ClassificationRecord(
                ids["t3_dox"],
                ["doxxing"],
                {"doxxing": 0.85},
                evidence=[{"start": 13, "end": 26, "label": "doxxing", "reason": "home address"}],
            ),
            ClassificationRecord(
                ids["f_fraud"],
                ["anti_government"],
                {"anti_government": 0.7},
                narratives=["election_fraud"],
            ),
            ClassificationRecord(ids["t3_hate"], ["hate"], {"hate": 0.75}, targets=["jewish"]),
            ClassificationRecord(ids["t3_reply"], [], {"anti_government": 0.55}),
            ClassificationRecord(ids["t3_near"], [], {"threat": 0.38}),
            ClassificationRecord(ids["t3_plain"], [], {"hate": 0.01}),
        ]
        recs += [
            ClassificationRecord(
                ids[f"f_{i}"], ["anti_government"], {"anti_government": 0.95 - i / 200}
            )
            for i in range(filler)
        ]
        save_classifications(session, model.id, recs)
        if users:
            for (name, password), role in ((ADMIN, "admin"), (ANALYST, "analyst")):
                create_user(session, name, _hash(password), role)
    return world
