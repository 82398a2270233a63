"""Reddit end to end: OAuth token, new posts and comments, a thread with `more`, cursor."""

from __future__ import annotations

import base64
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
    stored_posts,
)
from tests.crawlers.mockserver import MockServer, Reply

JSON = {"Content-Type": "application/json; charset=UTF-8"}
NEW = "/r/marlowcounty/new.json"
COMMENTS = "/r/marlowcounty/comments.json"


def page(name: str) -> Reply:
    return Reply(200, JSON, fixture_bytes("reddit", name))


def serve(server: MockServer) -> None:
    server.add(
        "/api/v1/access_token",
        Reply.json(
            {"access_token": "tok-123", "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        ),
        method="POST",
    )
    server.add(f"{NEW}?limit=100&raw_json=1", page("r_marlowcounty_new_p1.json"))
    server.add(f"{NEW}?limit=100&after=t3_mc0003&raw_json=1", page("r_marlowcounty_new_p2.json"))
    server.add(f"{COMMENTS}?limit=100&raw_json=1", page("r_marlowcounty_comments.json"))
    server.add(
        "/comments/mc0004.json?limit=500&sort=confidence&raw_json=1", page("comments_mc0004.json")
    )
    server.add(
        "/api/morechildren.json?api_type=json&link_id=t3_mc0004&children=tc0003,tc0004&raw_json=1",
        page("morechildren_mc0004.json"),
    )


def test_reddit_crawl_is_exact_incremental_and_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COHESION_REDDIT_CLIENT_ID", "app-id")
    monkeypatch.setenv("COHESION_REDDIT_CLIENT_SECRET", "app-secret")
    with MockServer() as server:
        serve(server)
        settings = make_settings(
            tmp_path,
            [
                {
                    "name": "marlow-reddit",
                    "platform": "reddit",
                    "base_url": server.url,
                    "subreddits": ["marlowcounty"],
                    "threads": ["mc0004"],
                },
            ],
        )
        [first] = crawl_sources(settings, scrapy_overrides=FAST)
        assert first.status == "ok", first.message
        # pages: new x2, comments, thread, morechildren
        assert (first.pages, first.items, first.new, first.duplicate) == (5, 12, 11, 1)

        token = server.hits("/api/v1/access_token")[0]
        assert token.method == "POST" and token.body == b"grant_type=client_credentials"
        assert (
            token.headers["Authorization"]
            == "Basic " + base64.b64encode(b"app-id:app-secret").decode()
        )
        api = [r for r in server.requests if r.path.startswith(("/r/", "/comments", "/api/more"))]
        assert all(r.headers.get("Authorization") == "bearer tok-123" for r in api)
        assert all(
            r.headers["User-Agent"].startswith("CohesionMonitor/")
            and "tests@example.org" in r.headers["User-Agent"]
            for r in server.requests
        )

        posts = stored_posts(settings)
        assert set(posts) == {f"t3_mc000{i}" for i in range(1, 6)} | {
            "t1_kc0002",
            "t1_kc0003",
            "t1_tc0001",
            "t1_tc0002",
            "t1_tc0003",
            "t1_tc0004",
        }
        water = posts["t3_mc0005"]
        assert water["title"] == "Water main break on Elm St, Ashford"
        assert water["text"] == "Crews are out now.\nAvoid Elm & 3rd."
        assert water["created_at"].replace(tzinfo=UTC) == datetime(2024, 3, 4, 16, 0, tzinfo=UTC)
        assert water["link"] == (
            "https://www.reddit.com/r/marlowcounty/comments/mc0005/water_main_break_on_elm_st_ash/"
        )
        assert water["author"] == pseudonym("reddit", "river_rat")
        # A link post's text is its title; a deleted author has no pseudonym.
        assert posts["t3_mc0004"]["text"] == "Budget hearing Thursday"
        assert posts["t3_mc0002"]["author"] is None
        # A comment without permalink gets one from its post's; quoted lines are dropped.
        assert posts["t1_kc0003"]["link"] == (
            "https://www.reddit.com/r/marlowcounty/comments/"
            "mc0005/water_main_break_on_elm_st_ashford/kc0003/"
        )
        assert posts["t1_kc0002"]["text"] == "Thanks for the heads up"
        assert posts["t1_tc0002"]["parent_id"] == "t1_tc0001"
        assert posts["t1_tc0002"]["thread_id"] == "t3_mc0004"
        assert posts["t1_tc0004"]["link"] == "https://www.reddit.com/comments/mc0004/_/tc0004/"
        assert posts["t1_tc0003"]["text"] == "Fairhaven folks should show up."

        cursor, runs = source_state(settings, "marlow-reddit")
        assert cursor == {
            "new:marlowcounty": {"name": "t3_mc0005", "created": 1709568000.0},
            "comments:marlowcounty": {"name": "t1_kc0003", "created": 1709570000.0},
        }
        assert runs[-1]["status"] == "ok" and runs[-1]["items_new"] == 11

        # Second run: `before` the newest answers empty, so the top page is checked
        # down to the cursor's time; nothing new is stored.
        server.add(
            f"{NEW}?limit=100&before=t3_mc0005&raw_json=1",
            Reply.json(
                {"kind": "Listing", "data": {"children": [], "after": None, "before": None}}
            ),
        )
        server.add(
            f"{COMMENTS}?limit=100&before=t1_kc0003&raw_json=1",
            Reply.json(
                {"kind": "Listing", "data": {"children": [], "after": None, "before": None}}
            ),
        )
        [second] = crawl_sources(settings, scrapy_overrides=FAST)
        assert (second.status, second.new) == ("ok", 0)
        assert len(stored_posts(settings)) == 11
        assert source_state(settings, "marlow-reddit")[0] == cursor
        assert not server.hits(f"{NEW}?limit=100&after=")[1:]  # page 2 fetched only once

        # Third run: one post newer than the anchor.
        server.routes[-2].replies = [page("r_marlowcounty_new_before.json")]
        [third] = crawl_sources(settings, scrapy_overrides=FAST)
        assert (third.status, third.new) == ("ok", 1)
        assert source_state(settings, "marlow-reddit")[0]["new:marlowcounty"] == {
            "name": "t3_mc0006",
            "created": 1709575200.0,
        }
        assert stored_posts(settings)["t3_mc0006"]["places"] == ["Marlow County"]
