"""The sealed link to an original post: opened by a logged-in analyst, each time audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cohesion.review.app import create_app
from cohesion.review.throttle import LoginThrottle
from cohesion.store.audit import recent_audit
from cohesion.store.engine import session_scope
from cohesion.store.models import Post
from cohesion.store.posts import PostRecord, upsert_posts
from cohesion.store.privacy import PostPrivacy
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.review.client import AppClient
from tests.review.conftest import SECRET
from tests.review.seed import ANALYST, World

KEY = b"review-tests-instance-key-0123456789abcdef"
LINK = "https://marlow.social/@alice/112000000000000005"
URI = "https://marlow.social/users/alice/statuses/112000000000000005"


@pytest.fixture
def privacy() -> PostPrivacy:
    return PostPrivacy(KEY)


@pytest.fixture
def sealed_post(sessions: sessionmaker[Session], world: World, privacy: PostPrivacy) -> int:
    record = PostRecord(
        platform="mastodon",
        external_id=URI,
        text="The levy vote is on Tuesday in Olathe.",
        created_at=datetime(2026, 11, 18, 9, tzinfo=UTC),
        url=LINK,
        author_pseudonym="a" * 24,
    )
    with session_scope(sessions) as session:
        upsert_posts(session, [privacy.protect(record)])
        post = session.scalars(select(Post).where(Post.platform == "mastodon")).one()
        assert post.url is None and post.sealed_link and "alice" not in post.external_id
        return post.id


def _app(sessions: sessionmaker[Session], privacy: PostPrivacy | None) -> FastAPI:
    throttle = LoginThrottle(checks_per_second=1_000_000)
    return create_app(sessions, secret=SECRET, throttle=throttle, privacy=privacy)


@pytest.fixture
def analyst_with_key(
    sessions: sessionmaker[Session], world: World, privacy: PostPrivacy
) -> Iterator[AppClient]:
    client = AppClient(_app(sessions, privacy))
    assert client.login(*ANALYST).status_code == 303
    yield client
    client.close()


def _opened(sessions: sessionmaker[Session], post_id: int) -> list[str]:
    with session_scope(sessions) as session:
        return [
            row.actor or ""
            for row in recent_audit(session, 100)
            if row.action == "open_original" and row.object_id == str(post_id)
        ]


def test_the_post_page_offers_the_link_sealed(
    analyst_with_key: AppClient, sealed_post: int
) -> None:
    page = analyst_with_key.get(f"/posts/{sealed_post}").text
    assert 'id="open-original"' in page and f'action="/posts/{sealed_post}/original"' in page
    assert "alice" not in page and "marlow.social" not in page


def test_opening_shows_the_link_and_audits_each_opening(
    analyst_with_key: AppClient, sealed_post: int, sessions: sessionmaker[Session]
) -> None:
    token = analyst_with_key.csrf(f"/posts/{sealed_post}")
    for _ in range(2):
        opened = analyst_with_key.post(f"/posts/{sealed_post}/original", data={"csrf_token": token})
        assert opened.status_code == 200
        assert (
            f'href="{LINK}"' in opened.text and 'rel="noopener noreferrer nofollow"' in opened.text
        )
        assert opened.headers["cache-control"] == "no-store"
        assert opened.headers["referrer-policy"] == "no-referrer"
    assert _opened(sessions, sealed_post) == [ANALYST[0], ANALYST[0]]


def test_opening_needs_a_login_and_the_csrf_token(
    sessions: sessionmaker[Session], world: World, privacy: PostPrivacy, sealed_post: int
) -> None:
    anonymous = AppClient(_app(sessions, privacy))
    try:
        assert anonymous.post(f"/posts/{sealed_post}/original").status_code == 401
    finally:
        anonymous.close()
    client = AppClient(_app(sessions, privacy))
    try:
        assert client.login(*ANALYST).status_code == 303
        refused = client.post(f"/posts/{sealed_post}/original", data={"csrf_token": "forged"})
        assert refused.status_code == 403 and LINK not in refused.text
        # A GET never opens it (no prefetch, no link from elsewhere).
        assert client.get(f"/posts/{sealed_post}/original").status_code == 405
    finally:
        client.close()
    assert _opened(sessions, sealed_post) == []


def test_no_link_no_post_no_key_wrong_key(
    sessions: sessionmaker[Session], world: World, sealed_post: int
) -> None:
    plain = world.ids["t3_plain"]  # stored without a link
    for privacy, post_id, status in (
        (PostPrivacy(KEY), plain, 404),
        (PostPrivacy(KEY), 987654, 404),
        (None, sealed_post, 503),
        (PostPrivacy(b"another-instance-key-0123456789abcdef"), sealed_post, 409),
    ):
        client = AppClient(_app(sessions, privacy))
        try:
            assert client.login(*ANALYST).status_code == 303
            token = client.csrf("/queue")
            answer = client.post(f"/posts/{post_id}/original", data={"csrf_token": token})
            assert answer.status_code == status, (privacy, post_id)
            assert LINK not in answer.text
        finally:
            client.close()
    assert _opened(sessions, sealed_post) == []
