"""Telegram end to end: t.me/s/ pages, ?before= paging, replies, service, poll, sticker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cohesion.crawlers.run import crawl_sources
from cohesion.crawlers.spiders.telegram import parse_count

from tests.crawlers.helpers import (
    FAST,
    fixture_bytes,
    make_settings,
    pseudonym,
    source_state,
    stored_posts,
)
from tests.crawlers.mockserver import MockServer, Reply

HTML = {"Content-Type": "text/html; charset=utf-8"}


def page(name: str) -> Reply:
    return Reply(200, HTML, fixture_bytes("telegram", name))


def test_view_counts_are_read_as_numbers() -> None:
    assert [parse_count(v) for v in ("37.2K", "812", "1.1M", "3K", "", None, "n/a")] == [
        37200,
        812,
        1100000,
        3000,
        None,
        None,
        None,
    ]


def test_telegram_crawl_is_exact_incremental_and_idempotent(tmp_path: Path) -> None:
    with MockServer() as server:
        server.add("/s/marlowalerts", page("s_marlowalerts.html"))
        server.add("/s/marlowalerts?before=106", page("s_marlowalerts_before_106.html"))
        settings = make_settings(
            tmp_path,
            [
                {
                    "name": "alerts",
                    "platform": "telegram",
                    "base_url": server.url,
                    "channels": ["marlowalerts"],
                },
            ],
        )
        [first] = crawl_sources(settings, scrapy_overrides=FAST)
        assert first.status == "ok", first.message
        # The service message (107) is not a post; page 2 has no older page.
        assert (first.pages, first.items, first.new) == (2, 7, 7)
        posts = stored_posts(settings)
        assert set(posts) == {f"marlowalerts/{i}" for i in (103, 104, 105, 106, 108, 109, 110)}
        channel = pseudonym("telegram", "marlowalerts")
        reply = posts["marlowalerts/106"]
        assert reply["text"] == "Update: the notice is lifted for Brindle Creek."
        assert reply["parent_id"] == "marlowalerts/103"
        assert reply["link"] == "https://t.me/marlowalerts/106"
        assert reply["author"] == channel
        assert reply["created_at"].replace(tzinfo=UTC) == datetime(2024, 3, 4, 14, 5, tzinfo=UTC)
        assert posts["marlowalerts/108"]["text"] == (
            "Should Marlow County extend library hours?\n- Yes\n- No"
        )
        sticker = posts["marlowalerts/109"]
        assert sticker["text"] == "" and sticker["engagement"] == {"views": 37200}
        road = posts["marlowalerts/110"]
        assert (
            road["text"]
            == "Road work on Route 9 near Fairhaven & Ashford.\nExpect delays until Friday."
        )
        assert road["author"] == pseudonym("telegram", "marlowalerts/Dana P.")
        assert road["places"] == ["Ashford", "Fairhaven"]
        assert posts["marlowalerts/104"]["engagement"] == {
            "views": 2900,
            "forwarded_from": "https://t.me/marlowsheriff/77",
        }
        assert source_state(settings, "alerts")[0] == {"channel:marlowalerts": 110}

        # Second run: the first page holds nothing above the cursor; no paging.
        [second] = crawl_sources(settings, scrapy_overrides=FAST)
        assert (second.status, second.new, second.pages) == ("ok", 0, 1)

        # Third run: one new message; the page reaches the cursor, so no ?before=.
        server.routes[0].replies = [page("s_marlowalerts_new.html")]
        [third] = crawl_sources(settings, scrapy_overrides=FAST)
        assert (third.status, third.new, third.pages) == ("ok", 1, 1)
        assert source_state(settings, "alerts")[0] == {"channel:marlowalerts": 111}
        assert len(server.hits("/s/marlowalerts?before")) == 1
