"""Bluesky end to end: author feed with reposts and cursor, search with a session."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cohesion.crawlers.run import crawl_sources

from tests.crawlers.helpers import (
    FAST,
    fixture_bytes,
    make_settings,
    pseudonym,
    source_state,
    stored_id,
    stored_posts,
)
from tests.crawlers.mockserver import MockServer, Reply

JSON = {"Content-Type": "application/json; charset=utf-8"}
FEED = (
    "/xrpc/app.bsky.feed.getAuthorFeed?actor=marlowclerk.bsky.social"
    "&filter=posts_with_replies&limit=100"
)
SEARCH = "/xrpc/app.bsky.feed.searchPosts?q=Ashford&sort=latest&limit=100"
CLERK, RIVER = "did:plc:marlowclerk0000000000001", "did:plc:riverrat00000000000000002"


def page(name: str) -> Reply:
    return Reply(200, JSON, fixture_bytes("bluesky", name))


def test_bluesky_crawl_is_exact_incremental_and_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COHESION_BLUESKY_HANDLE", "analyst.example.org")
    monkeypatch.setenv("COHESION_BLUESKY_APP_PASSWORD", "abcd-efgh-ijkl-mnop")
    with MockServer() as server:
        server.add(FEED, page("getAuthorFeed_marlowclerk_p1.json"))
        server.add(
            f"{FEED}&cursor=2024-03-04T13%3A30%3A01Z", page("getAuthorFeed_marlowclerk_p2.json")
        )
        server.add(
            "/xrpc/com.atproto.server.createSession",
            Reply.json(
                {
                    "accessJwt": "jwt-1",
                    "refreshJwt": "r",
                    "handle": "analyst.example.org",
                    "did": "did:plc:analyst",
                }
            ),
            method="POST",
        )
        server.add(SEARCH, page("searchPosts_ashford.json"))
        server.add(f"{SEARCH}&cursor=2", page("searchPosts_ashford_p2.json"))
        settings = make_settings(
            tmp_path,
            [
                {
                    "name": "clerk",
                    "platform": "bluesky",
                    "base_url": server.url,
                    "authors": ["marlowclerk.bsky.social"],
                },
                {
                    "name": "bsky-search",
                    "platform": "bluesky",
                    "base_url": server.url,
                    "search": ["Ashford"],
                },
            ],
        )
        first = {s.name: s for s in crawl_sources(settings, scrapy_overrides=FAST)}
        assert first["clerk"].status == "ok", first["clerk"].message
        assert (first["clerk"].pages, first["clerk"].new) == (2, 4)
        assert first["bsky-search"].status == "ok", first["bsky-search"].message
        assert (first["bsky-search"].pages, first["bsky-search"].new) == (2, 2)

        login = server.hits("/xrpc/com.atproto.server.createSession")[0]
        assert json.loads(login.body) == {
            "identifier": "analyst.example.org",
            "password": "abcd-efgh-ijkl-mnop",
        }
        assert all(
            r.headers.get("Authorization") == "Bearer jwt-1"
            for r in server.hits("/xrpc/app.bsky.feed.searchPosts")
        )
        assert not any(
            "Authorization" in r.headers for r in server.hits("/xrpc/app.bsky.feed.getAuthorFeed")
        )

        posts = stored_posts(settings)
        vote = posts[f"at://{CLERK}/app.bsky.feed.post/3mclerk00005"]
        # The shortened link is expanded through the facet's UTF-8 byte offsets.
        assert vote["text"] == (
            "Early voting opens Monday 🗳️ at the Ashford library. Hours: "
            "https://marlowcounty.example/vote/early-voting-hours"
        )
        assert vote["created_at"].replace(tzinfo=UTC) == datetime(2024, 3, 4, 15, 15, tzinfo=UTC)
        assert vote["link"] == "https://bsky.app/profile/marlowclerk.bsky.social/post/3mclerk00005"
        assert vote["author"] == pseudonym("bluesky", CLERK)
        # A repost is stored as the reposted post, by its own author.
        bridge = posts[f"at://{RIVER}/app.bsky.feed.post/3mriver00004"]
        assert bridge["author"] == pseudonym("bluesky", RIVER)
        assert bridge["link"] == "https://bsky.app/profile/riverrat.bsky.social/post/3mriver00004"
        reply = posts[f"at://{CLERK}/app.bsky.feed.post/3mclerk00003"]
        assert reply["parent_id"] == stored_id(
            "bluesky", f"at://{RIVER}/app.bsky.feed.post/3mriver00004"
        )
        assert reply["created_at"].replace(tzinfo=UTC) == datetime(
            2024, 3, 4, 13, 30, 0, 123456, tzinfo=UTC
        )
        assert posts[f"at://{CLERK}/app.bsky.feed.post/3mclerk00002"]["text"] == ""
        assert f"at://{RIVER}/app.bsky.feed.post/3mriver00009" in posts
        assert len(posts) == 6

        cursor, _ = source_state(settings, "clerk")
        assert cursor == {"author:marlowclerk.bsky.social": "2024-03-04T15:15:01.100000Z"}

        # Second run: the first page holds nothing newer than the cursor.
        second = {s.name: s for s in crawl_sources(settings, scrapy_overrides=FAST)}
        assert (second["clerk"].new, second["clerk"].pages, second["clerk"].status) == (0, 1, "ok")
        assert second["bsky-search"].new == 0

        # Third run: one new post above the cursor; paging stops at the cursor.
        server.routes[0].replies = [page("getAuthorFeed_marlowclerk_new.json")]
        [third] = crawl_sources(settings, names=["clerk"], scrapy_overrides=FAST)
        assert (third.new, third.pages, third.status) == (1, 1, "ok")
        assert source_state(settings, "clerk")[0] == {
            "author:marlowclerk.bsky.social": "2024-03-05T08:00:00.300000Z"
        }


def test_a_pinned_post_neither_stops_paging_nor_moves_the_cursor(tmp_path: Path) -> None:
    """An author feed opens with the pinned post, however old. With a cursor older than
    every other entry of the page, the page is all new, so the next page is asked for;
    the cursor moves to the newest reply, never back to the pinned post."""
    from cohesion.runtime import sync_sources
    from cohesion.store.engine import make_engine, make_session_factory, session_scope
    from cohesion.store.runs import get_source, save_cursor

    key = "author:marlowclerk.bsky.social"
    with MockServer() as server:
        server.add(FEED, page("getAuthorFeed_marlowclerk_replies.json"))
        server.add(f"{FEED}&cursor=2024-03-05T07%3A00%3A00.000Z", Reply.json({"feed": []}))
        source = {
            "name": "clerk",
            "platform": "bluesky",
            "base_url": server.url,
            "authors": ["marlowclerk.bsky.social"],
            "require_local": False,
        }
        settings = make_settings(tmp_path, [source])
        engine = make_engine(settings.database.url)
        with session_scope(make_session_factory(engine)) as session:
            sync_sources(session, settings)
            row = get_source(session, "clerk")
            assert row is not None
            save_cursor(session, row.id, {key: "2024-03-05T06:00:00Z"})
        engine.dispose()
        [run] = crawl_sources(settings, scrapy_overrides=FAST)
        assert (run.new, run.pages, run.status) == (5, 2, "ok"), run.message
        assert len(server.hits("/xrpc/app.bsky.feed.getAuthorFeed")) == 2
    posts = stored_posts(settings)
    orphan = posts[f"at://{CLERK}/app.bsky.feed.post/3mclerk00013"]
    assert orphan["parent_id"] == stored_id(
        "bluesky", f"at://{RIVER}/app.bsky.feed.post/3mgone000001"
    )
    assert source_state(settings, "clerk")[0] == {key: "2024-03-05T17:00:01Z"}
