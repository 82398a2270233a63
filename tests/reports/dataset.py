"""A small constructed dataset whose trend numbers are computed by hand in the tests.

Five ISO weeks in America/Chicago: four baseline weeks (2026-W43..W46) of 20 posts
and the report week 2026-W47 of 21 posts (one not yet classified). See
tests/store/test_trends.py for the expected values and how they were worked out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.classifications import ClassificationRecord, register_model_version, save_classifications
from store.engine import session_scope
from store.models import Post, Review
from store.posts import PostRecord, upsert_posts
from store.runs import sync_source

TZ = "America/Chicago"
ZONE = ZoneInfo(TZ)
WEEK = date(2026, 11, 16)  # 2026-W47
BASELINE = [date(2026, 10, 19), date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9)]
PLATFORM = {"r-olathe": "reddit", "news-rss": "rss"}
ORDINARY = "an ordinary post about the weather and the library"
HOSTILE = "<script>alert(1)</script> [click](javascript:alert(1)) *bold* | pipe"


@dataclass(slots=True)
class Spec:
    key: str
    source: str
    author: str
    flags: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    narratives: tuple[str, ...] = ()
    threat_targets: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    text: str = ORDINARY
    classified: bool = True
    created_at: datetime | None = None
    url: str | None = None
    reviews: list[tuple[str, dict | None]] = field(default_factory=list)


def _current() -> list[Spec]:
    ballots = "they stole the ballots again, count the ballots @loudmouth https://t.co/x"
    specs = [
        Spec(
            "c0",
            "r-olathe",
            "A1",
            ("hate",),
            ("jewish",),
            places=("Olathe",),
            text=f"ballots {HOSTILE}",
            reviews=[("confirm", None)],
        ),
        Spec(
            "c1",
            "r-olathe",
            "A1",
            ("hate",),
            ("jewish",),
            places=("Olathe", "Lenexa"),
            text=ballots,
            url="javascript:alert(1)",
        ),
        Spec("c2", "r-olathe", "A1", ("hate",), ("jewish",), text=ballots),
        Spec("c3", "r-olathe", "A1", ("hate",), ("muslim",), text=ballots),
        Spec("c4", "news-rss", "A2", ("hate",), ("jewish",), text=ballots),
        Spec(
            "c5",
            "news-rss",
            "A3",
            ("hate",),
            ("jewish",),
            places=("Overland Park",),
            text=ballots,
            reviews=[("confirm", None), ("reject", None)],
        ),
        Spec(
            "c6",
            "news-rss",
            "A2",
            ("anti_government",),
            narratives=("election_fraud",),
            text=ballots,
            reviews=[("correct", {"flags": ["hate"], "targets": ["lgbtq"], "narratives": []})],
        ),
        Spec(
            "c7",
            "r-olathe",
            "A4",
            ("anti_government",),
            narratives=("election_fraud",),
            places=("Lenexa",),
            text=ballots,
        ),
        Spec(
            "c8",
            "r-olathe",
            "A4",
            ("anti_government",),
            narratives=("election_fraud",),
            text=ballots,
        ),
        Spec(
            "c9",
            "r-olathe",
            "A4",
            ("anti_government",),
            narratives=("election_fraud",),
            text=ballots,
        ),
        Spec(
            "c10",
            "news-rss",
            "A6",
            ("anti_government",),
            narratives=("public_health_tyranny",),
            text="masks and mandates tyranny",
        ),
        Spec(
            "c11",
            "news-rss",
            "A7",
            ("anti_government",),
            narratives=("election_fraud",),
            text=ballots,
        ),
        Spec(
            "c12",
            "news-rss",
            "A8",
            ("anti_government",),
            narratives=("election_fraud",),
            text=ballots,
        ),
        Spec(
            "c13",
            "r-olathe",
            "A5",
            ("threat",),
            threat_targets=("official",),
            places=("Olathe",),
            text="the clerk should watch out",
            reviews=[("escalate", None)],
        ),
        Spec("c14", "r-olathe", "U1", places=("Overland Park",)),
        Spec("c15", "r-olathe", "U2"),
        Spec("c16", "r-olathe", "U3"),
        Spec("c17", "news-rss", "U4"),
        Spec("c18", "news-rss", "U5"),
        Spec("c19", "news-rss", "U6"),
        Spec("c20", "r-olathe", "U7", classified=False),
    ]
    for n, spec in enumerate(specs):
        spec.created_at = _local(WEEK + timedelta(days=2), 12, n)
    return specs


def _baseline(week: date, index: int) -> list[Spec]:
    taxes = "they raise taxes again at the council, taxes taxes"
    specs = [Spec(f"w{index}b0", "r-olathe", "B1", ("hate",), ("jewish",), text=taxes)]
    for n in range(1, 5):
        flagged = index in (1, 3)  # W44 and W46: four anti_government posts each
        specs.append(
            Spec(
                f"w{index}b{n}",
                "news-rss",
                f"B{n + 1}",
                ("anti_government",) if flagged else (),
                narratives=("election_fraud",) if flagged else (),
                text=taxes if flagged else ORDINARY,
            )
        )
    for n in range(5, 20):
        source = "r-olathe" if n <= 12 else "news-rss"
        specs.append(Spec(f"w{index}b{n}", source, f"V{n}"))
    for n, spec in enumerate(specs):
        spec.created_at = _local(week + timedelta(days=2), 12, n)
    if index == 3:
        # Sunday 23:30 in Chicago is Monday 05:30 UTC: it belongs to W46, not W47.
        specs[0].created_at = datetime(2026, 11, 16, 5, 30, tzinfo=UTC)
    return specs


def _local(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def all_specs() -> list[Spec]:
    specs = []
    for index, week in enumerate(BASELINE):
        specs.extend(_baseline(week, index))
    specs.extend(_current())
    return specs


@dataclass(slots=True)
class Dataset:
    post_ids: dict[str, int]
    model_id: int
    old_model_id: int


def build(sessions: sessionmaker[Session], *, reviewed_at: datetime | None = None) -> Dataset:
    specs = all_specs()
    reviewed_at = reviewed_at or datetime(2026, 11, 21, 12, tzinfo=UTC)
    with session_scope(sessions) as session:
        source_ids = {
            name: sync_source(session, name, platform, {}, True).id
            for name, platform in PLATFORM.items()
        }
        upsert_posts(
            session,
            [
                PostRecord(
                    platform=PLATFORM[s.source],
                    external_id=s.key,
                    text=s.text,
                    created_at=s.created_at,
                    url=s.url or f"https://example.org/{s.key}",
                    author_pseudonym=f"p{s.author}",
                    places=list(s.places),
                    source_id=source_ids[s.source],
                )
                for s in specs
            ],
            TZ,
        )
        ids = dict(session.execute(select(Post.external_id, Post.id)).all())
        old = register_model_version(
            session, "test.v0", path=None, training_summary={}, metrics={}, thresholds={}
        )
        save_classifications(
            session, old.id, [ClassificationRecord(ids["c14"], ["hate"], {"hate": 0.9})]
        )
        model = register_model_version(
            session,
            "test.v1",
            path=None,
            training_summary={},
            metrics={"precision": {"hate": 0.8}},
            thresholds={},
        )
        records = [
            ClassificationRecord(
                ids[s.key],
                s.flags,
                {label: 0.9 for label in s.flags},
                targets=s.targets,
                narratives=s.narratives,
                threat_targets=s.threat_targets,
            )
            for s in specs
            if s.classified
        ]
        save_classifications(session, model.id, records)
        session.flush()
        classification_ids = _classification_ids(session, model.id)
        for s in specs:
            for n, (decision, labels) in enumerate(s.reviews):
                session.add(
                    Review(
                        post_id=ids[s.key],
                        classification_id=classification_ids[ids[s.key]],
                        decision=decision,
                        corrected_labels=labels,
                        queue="priority",
                        created_at=reviewed_at + timedelta(minutes=n),
                    )
                )
        return Dataset(ids, model.id, old.id)


def _classification_ids(session: Session, model_id: int) -> dict[int, int]:
    from store.models import Classification

    query = select(Classification.post_id, Classification.id).where(
        Classification.model_version_id == model_id
    )
    return dict(session.execute(query).all())
