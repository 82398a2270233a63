"""A small constructed dataset whose trend numbers are computed by hand in the tests.

Five ISO weeks in America/Chicago: four baseline weeks (2026-W43..W46) of 20 posts
and the report week 2026-W47 of 21 posts (one not yet classified). See
tests/store/test_trends.py for the expected values and how they were worked out.

Besides the priority-queue reviews: c13 (threat at an official) names the watchlist
role "County Clerk", c7 (anti_government only) names "County Commission" (not a threat
or doxxing: no hit); calibration-queue reviews of W47 (CALIBRATION) measure precision;
each source has one successful crawl, ending in W47. `build(silent=(source, week))`
leaves that source's posts of that week out and records a failed crawl instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cohesion.store.calibration import draw
from cohesion.store.classifications import (
    ClassificationRecord,
    register_model_version,
    save_classifications,
)
from cohesion.store.engine import session_scope
from cohesion.store.models import CrawlRun, Post, Review, Source
from cohesion.store.posts import PostRecord, upsert_posts
from cohesion.store.runs import sync_source
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

TZ = "America/Chicago"
ZONE = ZoneInfo(TZ)
WEEK = date(2026, 11, 16)  # 2026-W47
BASELINE = [date(2026, 10, 19), date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9)]
PLATFORM = {"r-olathe": "reddit", "news-rss": "rss"}
ORDINARY = "an ordinary post about the weather and the library"
HOSTILE = "<script>alert(1)</script> [click](javascript:alert(1)) *bold* | pipe"
CORRECTED_C6 = {"flags": ["hate"], "targets": ["lgbtq"], "narratives": []}
# The config's watchlist (entry -> kind); "County Commission" is named only by a post
# that is neither a threat nor doxxing.
WATCHLIST = {"County Clerk": "role", "County Commission": "institution", "Dana Reyes": "person"}
# Ends on Sunday of W47 (14:00 in Chicago): the last successful crawl of each source.
CRAWLED_AT = datetime(2026, 11, 22, 20, tzinfo=UTC)
# Unflagged-sample posts (for hate, W47) that build() gives a calibration review: the
# first is escalated with the analyst's own label hate (a miss), the second confirmed.
UNFLAGGED_REVIEWS: tuple[tuple[str, dict | None], ...] = (
    ("escalate", {"flags": ["hate"]}),
    ("confirm", None),
)


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
    watchlist: tuple[str, ...] = ()
    calibration: list[tuple[str, dict | None]] = field(default_factory=list)


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
            calibration=[("confirm", None)],
        ),
        Spec(
            "c2",
            "r-olathe",
            "A1",
            ("hate",),
            ("jewish",),
            text=ballots,
            calibration=[("confirm", None)],
        ),
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
            calibration=[("reject", None)],
        ),
        Spec(
            "c6",
            "news-rss",
            "A2",
            ("anti_government",),
            narratives=("election_fraud",),
            text=ballots,
            reviews=[("correct", CORRECTED_C6)],
            calibration=[("correct", CORRECTED_C6)],
        ),
        Spec(
            "c7",
            "r-olathe",
            "A4",
            ("anti_government",),
            narratives=("election_fraud",),
            places=("Lenexa",),
            text=ballots,
            watchlist=("County Commission",),
            calibration=[("confirm", None)],
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
            watchlist=("County Clerk",),
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


def _created(spec: Spec) -> datetime:
    assert spec.created_at is not None
    return spec.created_at


def _week_of(spec: Spec) -> date:
    local = _created(spec).astimezone(ZONE).date()
    return local - timedelta(days=local.weekday())


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
    unflagged_reviewed: list[str] = field(default_factory=list)  # see UNFLAGGED_REVIEWS


def build(
    sessions: sessionmaker[Session],
    *,
    reviewed_at: datetime | None = None,
    silent: tuple[str, date] | None = None,
) -> Dataset:
    specs = all_specs()
    if silent is not None:
        source, week = silent
        specs = [s for s in specs if not (s.source == source and _week_of(s) == week)]
    reviewed_at = reviewed_at or datetime(2026, 11, 21, 12, tzinfo=UTC)
    with session_scope(sessions) as session:
        source_ids = {
            name: sync_source(session, name, platform, {}, True).id
            for name, platform in PLATFORM.items()
        }
        for source_id in source_ids.values():
            session.add(
                CrawlRun(
                    source_id=source_id,
                    started_at=CRAWLED_AT - timedelta(minutes=5),
                    finished_at=CRAWLED_AT,
                    status="ok",
                )
            )
        if silent is not None:
            failed_at = datetime.combine(silent[1], datetime.min.time(), ZONE) + timedelta(days=3)
            session.add(
                CrawlRun(
                    source_id=source_ids[silent[0]],
                    started_at=failed_at,
                    finished_at=failed_at + timedelta(minutes=1),
                    status="failed",
                    message="HTTP 503",
                )
            )
        old = register_model_version(
            session, "test.v0", path=None, training_summary={}, metrics={}, thresholds={}
        )
        model = register_model_version(
            session,
            "test.v1",
            path=None,
            training_summary={},
            metrics={"precision": {"hate": 0.8}},
            thresholds={},
        )
        ids = _save(session, specs, source_ids, model.id, reviewed_at)
        save_classifications(
            session, old.id, [ClassificationRecord(ids["c14"], ["hate"], {"hate": 0.9})]
        )
        classification_ids = _classification_ids(session, model.id)
        unflagged = [
            item.post_id
            for item in draw(session, model.id, [WEEK], labels=("hate",))
            if item.stratum == "unflagged"
        ]
        plain = {ids[s.key] for s in specs if s.classified and not s.flags and not s.reviews}
        keys = {post_id: key for key, post_id in ids.items()}
        chosen = [post_id for post_id in unflagged if post_id in plain][: len(UNFLAGGED_REVIEWS)]
        for post_id, (decision, labels) in zip(chosen, UNFLAGGED_REVIEWS, strict=True):
            session.add(
                Review(
                    post_id=post_id,
                    classification_id=classification_ids[post_id],
                    decision=decision,
                    corrected_labels=labels,
                    queue="calibration",
                    created_at=reviewed_at + timedelta(minutes=10),
                )
            )
        return Dataset(ids, model.id, old.id, [keys[i] for i in chosen])


def add(
    sessions: sessionmaker[Session], data: Dataset, specs: list[Spec], when: datetime
) -> dict[str, int]:
    """Store more posts (created at `when` unless set), classified by the dataset's model."""
    for spec in specs:
        spec.created_at = spec.created_at or when
    with session_scope(sessions) as session:
        source_ids = {name: id_ for name, id_ in session.execute(select(Source.name, Source.id))}
        ids = _save(
            session, specs, source_ids, data.model_id, datetime(2026, 11, 21, 12, tzinfo=UTC)
        )
    data.post_ids.update(ids)
    return ids


def _save(
    session: Session,
    specs: list[Spec],
    source_ids: dict[str, int],
    model_id: int,
    reviewed_at: datetime,
) -> dict[str, int]:
    """Posts, the model's classifications, and the priority and calibration reviews."""
    upsert_posts(
        session,
        [
            PostRecord(
                platform=PLATFORM[s.source],
                external_id=s.key,
                text=s.text,
                created_at=_created(s),
                url=s.url or f"https://example.org/{s.key}",
                author_pseudonym=f"p{s.author}",
                places=list(s.places),
                source_id=source_ids[s.source],
            )
            for s in specs
        ],
        TZ,
    )
    keys = [s.key for s in specs]
    ids = dict(
        session.execute(select(Post.external_id, Post.id).where(Post.external_id.in_(keys))).all()
    )
    records = [
        ClassificationRecord(
            ids[s.key],
            s.flags,
            {label: 0.9 for label in s.flags},
            targets=s.targets,
            narratives=s.narratives,
            threat_targets=s.threat_targets,
            watchlist=s.watchlist,
        )
        for s in specs
        if s.classified
    ]
    save_classifications(session, model_id, records)
    session.flush()
    classification_ids = _classification_ids(session, model_id)
    for s in specs:
        reviews = [(d, labels, "priority", n) for n, (d, labels) in enumerate(s.reviews)]
        reviews += [(d, labels, "calibration", 10) for d, labels in s.calibration]
        for decision, labels, queue, minutes in reviews:
            session.add(
                Review(
                    post_id=ids[s.key],
                    classification_id=classification_ids[ids[s.key]],
                    decision=decision,
                    corrected_labels=labels,
                    queue=queue,
                    created_at=reviewed_at + timedelta(minutes=minutes),
                )
            )
    return ids


def _classification_ids(session: Session, model_id: int) -> dict[int, int]:
    from cohesion.store.models import Classification

    query = select(Classification.post_id, Classification.id).where(
        Classification.model_version_id == model_id
    )
    return dict(session.execute(query).all())
