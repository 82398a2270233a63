"""Watchlist hits first: threats and doxxing that name a watchlist entry lead the
priority queue, carry a badge and have a filter of their own (both backends)."""

from __future__ import annotations

import re

import pytest
from cohesion.store import review_queries as rq
from cohesion.store.classifications import ClassificationRecord, save_classifications
from cohesion.store.engine import session_scope
from cohesion.store.models import Post
from cohesion.store.posts import upsert_posts
from cohesion.store.review_queries import QueueFilters
from cohesion.store.status import active_model
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.review.client import AppClient
from tests.review.seed import WEEK2, World, _post

SHERIFF = "Sheriff Calvin Hayden"
CLERK = "County Clerk"


@pytest.fixture
def hits(sessions: sessionmaker[Session], world: World) -> dict[str, int]:
    """A low-scored threat naming the sheriff, a doxxing post naming the clerk, and a
    hate post naming the sheriff (a watchlist name, but not a threat: no lift)."""
    with session_scope(sessions) as session:
        source_id = session.get_one(Post, world.ids["t3_threat"]).source_id
        assert source_id is not None
        upsert_posts(
            session,
            [
                _post("w_threat", "Hayden should be scared to walk to his car.", WEEK2, source_id),
                _post("w_dox", "The clerk's home number is 555-0100.", WEEK2, source_id),
                _post("w_hate", "Hayden hires only his own kind.", WEEK2, source_id),
            ],
            "UTC",
        )
        ids = {
            key: session.scalars(select(Post.id).where(Post.external_id == key)).one()
            for key in ("w_threat", "w_dox", "w_hate")
        }
        save_classifications(
            session,
            world.model_id,
            [
                ClassificationRecord(
                    ids["w_threat"], ["threat"], {"threat": 0.41}, watchlist=[SHERIFF]
                ),
                ClassificationRecord(
                    ids["w_dox"], ["doxxing"], {"doxxing": 0.55}, watchlist=[CLERK, SHERIFF]
                ),
                ClassificationRecord(ids["w_hate"], ["hate"], {"hate": 0.6}, watchlist=[SHERIFF]),
            ],
        )
    return ids


def _rows(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="queue-row" data-href="/posts/(\d+)\?', html)]


def test_watchlist_hits_come_first_then_priority(
    sessions: sessionmaker[Session], world: World, hits: dict[str, int]
) -> None:
    with session_scope(sessions) as session:
        model = active_model(session)
        page = rq.queue_page(session, model, "priority", QueueFilters(), per_page=100)
        only = rq.queue_page(session, model, "priority", QueueFilters(watchlist=True))
        uncertain = rq.queue_page(session, model, "uncertain", QueueFilters())
        prev_id, next_id = rq.neighbours(
            session, model, "priority", QueueFilters(), world.ids["t3_threat"]
        )
        first_prev, _ = rq.neighbours(session, model, "priority", QueueFilters(), hits["w_dox"])
    order = [item.post_id for item in page.items]
    # Hits by priority (doxxing 0.9 x 0.55 > threat 0.41), then the rest by priority.
    assert order[:4] == [
        hits["w_dox"],
        hits["w_threat"],
        world.ids["t3_threat"],
        world.ids["t3_dox"],
    ]
    assert page.items[0].watchlist == [CLERK, SHERIFF]
    assert page.items[0].priority == pytest.approx(0.495)  # the shown priority is not lifted
    hate = next(item for item in page.items if item.post_id == hits["w_hate"])
    assert hate.watchlist == [SHERIFF]  # named, shown, but not lifted
    assert order.index(hits["w_hate"]) > order.index(world.ids["t3_hate"])
    assert [item.post_id for item in only.items] == [hits["w_dox"], hits["w_threat"]]
    assert only.total == 2
    assert (prev_id, next_id) == (hits["w_threat"], world.ids["t3_dox"])  # keyset holds
    assert first_prev is None
    assert all(item.closeness is not None for item in uncertain.items)


def test_badge_and_filter_in_the_app(
    world: World, hits: dict[str, int], analyst: AppClient
) -> None:
    html = analyst.get("/queue").text
    assert _rows(html)[:2] == [hits["w_dox"], hits["w_threat"]]
    assert f"watchlist: {CLERK}, {SHERIFF}" in html
    assert "watchlist only" in html
    filtered = analyst.get("/queue?watchlist=1").text
    assert _rows(filtered) == [hits["w_dox"], hits["w_threat"]]
    assert 'name="watchlist" value="1" checked' in filtered
    first_href = re.search(r'data-href="([^"]+)"', filtered)
    assert first_href and "watchlist=1" in first_href.group(1)
    post = analyst.get(f"/posts/{hits['w_threat']}?queue=priority&watchlist=1").text
    assert f"watchlist: {SHERIFF}" in post and 'id="watchlist-badge"' in post
    assert 'id="next-post"' not in post  # the last hit in the filtered view
    blind = analyst.get(f"/posts/{hits['w_threat']}?queue=calibration&weeks=1&until=2026-03-09")
    assert "watchlist:" not in blind.text  # it would betray the model's flag
