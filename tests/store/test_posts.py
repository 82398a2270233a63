"""Posts: idempotent upsert, authors, hostile text, time zones, batches (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from cohesion.store.engine import session_scope
from cohesion.store.models import Author, Post
from cohesion.store.posts import (
    InvalidPostError,
    PostRecord,
    count_unclassified,
    iter_unclassified_batches,
    upsert_posts,
    week_start,
)
from cohesion.store.pseudonyms import Pseudonymiser
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

T0 = datetime(2026, 11, 16, 15, 30, tzinfo=UTC)  # a Monday
PSEUDO = Pseudonymiser(b"k" * 32)


def make_records(n: int, start: int = 0, author: str = "alice") -> list[PostRecord]:
    return [
        PostRecord(
            platform="reddit",
            external_id=f"t3_{i}",
            text=f"post number {i} about Olathe",
            created_at=T0 + timedelta(minutes=i),
            url=f"https://www.reddit.com/r/x/comments/{i}/",
            author_pseudonym=PSEUDO("reddit", author),
            engagement={"score": i},
            places=["Olathe"],
        )
        for i in range(start, start + n)
    ]


def test_same_batch_twice_is_stored_once(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        first = upsert_posts(session, make_records(1500), "America/Chicago")
    with session_scope(sessions) as session:
        second = upsert_posts(session, make_records(1500), "America/Chicago")
    assert (first.seen, first.new, first.duplicate) == (1500, 1500, 0)
    assert (second.seen, second.new, second.duplicate) == (1500, 0, 1500)
    with session_scope(sessions) as session:
        assert session.scalar(select(func.count(Post.id))) == 1500
        author = session.scalars(select(Author)).one()
        # Counted once per post, not once per sighting.
        assert author.post_count == 1500
        assert author.raw_handle is None


def test_overlapping_batches_report_only_new_posts(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        upsert_posts(session, make_records(10))
        result = upsert_posts(session, make_records(10, start=5))
    assert (result.new, result.duplicate) == (5, 5)


def test_duplicate_within_one_batch_is_stored_once(sessions: sessionmaker[Session]) -> None:
    records = make_records(3) + make_records(1)
    with session_scope(sessions) as session:
        result = upsert_posts(session, records)
        assert session.scalar(select(func.count(Post.id))) == 3
    assert result.new == 3
    assert result.seen == 4


def test_same_external_id_on_two_platforms_are_two_posts(sessions: sessionmaker[Session]) -> None:
    a = make_records(1)[0]
    b = make_records(1)[0]
    b.platform = "mastodon"
    with session_scope(sessions) as session:
        assert upsert_posts(session, [a, b]).new == 2


def test_hostile_text_is_stored_safely(sessions: sessionmaker[Session]) -> None:
    huge = "threat " * 150_000  # about 1 MB
    records = make_records(3)
    records[0].text = "before\x00after"
    records[1].text = "lone \ud800 surrogate and emoji \U0001f600 and RTL \u202eevil"
    records[2].text = huge
    with session_scope(sessions) as session:
        assert upsert_posts(session, records).new == 3
    with session_scope(sessions) as session:
        texts = [p.text for p in session.scalars(select(Post).order_by(Post.id))]
    assert texts[0] == "beforeafter"
    assert texts[1] == "lone \ufffd surrogate and emoji \U0001f600 and RTL \u202eevil"
    assert texts[2] == huge


def test_nul_and_lone_surrogates_are_dropped_from_every_field_alike(
    sessions: sessionmaker[Session],
) -> None:
    # PostgreSQL's text and jsonb cannot hold NUL: every field loses it on both
    # backends (and lone surrogates become U+FFFD), so no backend refuses the post.
    dirty = "a\x00b\ud800c"
    clean = "ab\ufffdc"
    records = make_records(20)  # enough for the PostgreSQL COPY path too
    for record in (records[0], records[19]):
        record.url = dirty
        record.author_handle = dirty
        record.title = dirty
        record.parent_id = dirty
        record.thread_id = dirty
        record.addressed_watchlist = dirty
        record.engagement = {dirty: [dirty, {"k": dirty}], "n": 1}
        record.places = [dirty]
    with session_scope(sessions) as session:
        assert upsert_posts(session, records[:1]).new == 1
        assert upsert_posts(session, records[1:]).new == 19
    with session_scope(sessions) as session:
        for external_id in ("t3_0", "t3_19"):
            post = session.scalars(select(Post).where(Post.external_id == external_id)).one()
            assert (post.url, post.title, post.parent_id, post.thread_id) == (clean,) * 4
            assert post.addressed_watchlist == clean
            assert post.engagement == {clean: [clean, {"k": clean}], "n": 1}
            assert post.places == [clean]
        assert session.scalars(select(Author.raw_handle)).one() == clean


def test_nan_and_infinity_in_engagement_are_stored_as_null_alike(
    sessions: sessionmaker[Session],
) -> None:
    # JSON has no NaN or Infinity; PostgreSQL's jsonb refused the post (found by the
    # Hypothesis test of the post page), SQLite stored a value no JSON reader accepts.
    records = make_records(20)  # the PostgreSQL COPY path too
    for record in (records[0], records[19]):
        record.engagement = {"score": float("inf"), "ratio": [float("nan"), 0.5], "n": 1}
    with session_scope(sessions) as session:
        assert upsert_posts(session, records[:1]).new == 1
        assert upsert_posts(session, records[1:]).new == 19
    with session_scope(sessions) as session:
        for external_id in ("t3_0", "t3_19"):
            post = session.scalars(select(Post).where(Post.external_id == external_id)).one()
            assert post.engagement == {"score": None, "ratio": [None, 0.5], "n": 1}


def test_timestamp_without_zone_is_refused_with_a_clear_message(
    sessions: sessionmaker[Session],
) -> None:
    record = make_records(1)[0]
    record.created_at = datetime(2026, 11, 16, 12, 0)
    with session_scope(sessions) as session, pytest.raises(InvalidPostError, match="no time zone"):
        upsert_posts(session, [record])


def test_times_come_back_in_utc_and_week_start_uses_the_locality_zone(
    sessions: sessionmaker[Session],
) -> None:
    record = make_records(1)[0]
    # Monday 01:30 UTC is still Sunday evening in Kansas: the previous ISO week there.
    record.created_at = datetime(2026, 11, 16, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(sessions) as session:
        upsert_posts(session, [record], "America/Chicago")
    with session_scope(sessions) as session:
        post = session.scalars(select(Post)).one()
    assert post.created_at == datetime(2026, 11, 15, 23, 30, tzinfo=UTC)
    assert post.created_at.tzinfo is not None
    assert post.week_start == date(2026, 11, 9)


def test_week_start_is_monday_of_the_iso_week() -> None:
    zone = ZoneInfo("Europe/Berlin")
    assert week_start(datetime(2026, 1, 1, 12, tzinfo=UTC), zone) == date(2025, 12, 29)
    assert week_start(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), zone) == date(2026, 11, 23)


def test_missing_external_id_is_refused() -> None:
    record = make_records(1)[0]
    record.external_id = "  "
    with pytest.raises(InvalidPostError, match="external_id"):
        record.validated()


def test_unclassified_posts_come_in_keyset_batches(sessions: sessionmaker[Session]) -> None:
    from cohesion.store.classifications import (
        ClassificationRecord,
        register_model_version,
        save_classifications,
    )

    with session_scope(sessions) as session:
        upsert_posts(session, make_records(25))
        model = register_model_version(
            session, "m-1", path=None, training_summary={}, metrics={}, thresholds={}
        )
        model_id = model.id
    with session_scope(sessions) as session:
        assert count_unclassified(session, model_id) == 25
        sizes = []
        for batch in iter_unclassified_batches(session, model_id, batch_size=10):
            sizes.append(len(batch))
            save_classifications(
                session,
                model_id,
                [ClassificationRecord(post_id=p.id, flags=[], scores={}) for p in batch],
            )
        assert sizes == [10, 10, 5]
        assert count_unclassified(session, model_id) == 0
