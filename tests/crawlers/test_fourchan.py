"""fourchan spider, end to end through Scrapy against a loopback copy of the 4chan API.

Fixtures (tests/fixtures/platforms/fourchan/) are a /pol/ board of Marlow County in
the API's real schema: thread 5001 is about Bexley (subject), 5002 is about tires
with one reply that names Quill Lake, 5003 (board page 2) is about Ostrander in its
comment only. `*_v2` is the same board after one new reply in 5001.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.crawlers.crawl_helpers_b import crawl, fixture_text, marlow_settings
from tests.crawlers.helpers import pseudonym, source_state, stored_posts
from tests.crawlers.mockserver import MockServer, Reply

T = 1700000000  # 2023-11-14 22:13:20 UTC
SITE = "https://boards.4chan.org/pol/thread"


def at(offset: int) -> datetime:
    return datetime.fromtimestamp(T + offset, tz=UTC)


def serve(server: MockServer, **files: str) -> None:
    """Route /pol/<path> to fixture files (replacing earlier routes)."""
    server.routes.clear()
    for path, name in files.items():
        body = fixture_text("fourchan", name)
        server.add(f"/pol/{path}", Reply(200, {"Content-Type": "application/json"}, body))


BOARD_V1 = {
    "threads.json": "threads.json",
    "catalog.json": "catalog.json",
    "thread/5001.json": "thread_5001.json",
    "thread/5002.json": "thread_5002.json",
    "thread/5003.json": "thread_5003.json",
}


def source(server: MockServer, **options: object) -> dict[str, object]:
    return {
        "name": "pol",
        "platform": "fourchan",
        "base_url": server.url,
        "board": "pol",
        **options,
    }


def thread_hits(server: MockServer) -> list[str]:
    return sorted(r.path for r in server.hits("/pol/thread/"))


def test_board_crawl_keeps_local_threads_and_local_replies(tmp_path: Path) -> None:
    with MockServer() as server:
        serve(server, **BOARD_V1)
        settings = marlow_settings(tmp_path, source(server))
        summary = crawl(settings)
        assert summary.status == "ok", summary.message
        posts = stored_posts(settings)

    # Thread 5001 (subject names Bexley): every post, the image-only one with no text.
    # Thread 5002: only the reply that names Quill Lake. Thread 5003: comment names Ostrander.
    assert sorted(posts) == [
        "pol/5001",
        "pol/5003",
        "pol/5004",
        "pol/5005",
        "pol/5006",
        "pol/5008",
        "pol/5010",
    ]
    assert summary.not_local == 2  # 5002 and 5007
    op = posts["pol/5001"]
    assert op["text"] == "Council votes on the new library levy at 7pm.\nWho else is going?"
    assert op["title"] == "Bexley city council meeting tonight"
    assert op["created_at"] == at(0)
    assert op["link"] == f"{SITE}/5001#p5001"
    assert op["author"] == pseudonym("fourchan", "pol/5001/ID:Ab12Cd34")
    assert op["parent_id"] is None and op["thread_id"] == "pol/5001"
    assert op["engagement"] == {"replies": 3, "images": 1, "unique_ips": 3}
    assert op["places"] == ["Bexley"]

    reply = posts["pol/5004"]  # quote link dropped, greentext (own words) kept, entities
    assert reply["text"] == ">library levy\nAnother tax grab. I'll be there & I'll say so."
    assert reply["created_at"] == at(600)
    assert reply["link"] == f"{SITE}/5001#p5004"
    assert reply["parent_id"] == "pol/5001"
    assert reply["author"] == pseudonym("fourchan", "pol/5001/ID:Zz99Yy88")
    assert reply["places"] == ["Bexley"]  # from the thread title

    image_only = posts["pol/5006"]
    assert image_only["text"] == "" and image_only["author"] == reply["author"]

    tripped = posts["pol/5008"]  # <wbr> joins the URL; the tripcode is the author
    assert tripped["text"] == "Agenda is up: https://bexley.example.gov/agenda/2023-11-14.pdf"
    assert tripped["author"] == pseudonym("fourchan", "!Xy7Q2w9Lk")
    assert tripped["parent_id"] == "pol/5004"

    local_reply = posts["pol/5005"]
    assert local_reply["text"] == "Got mine put on in Quill Lake, $80 for the set."
    assert local_reply["title"] == "Winter tire thread"
    assert local_reply["places"] == ["Quill Lake"]
    assert local_reply["link"] == f"{SITE}/5002#p5005"

    no_subject = posts["pol/5003"]
    assert no_subject["title"] == "They are finally repainting the Ostrander water tower."
    assert posts["pol/5010"]["text"] == "About time."
    assert posts["pol/5010"]["created_at"] == at(1000)


def test_second_run_fetches_only_changed_threads(tmp_path: Path) -> None:
    with MockServer() as server:
        serve(server, **BOARD_V1)
        settings = marlow_settings(tmp_path, source(server))
        first = crawl(settings)
        assert first.status == "ok" and first.new == 7
        cursor, _ = source_state(settings, "pol")
        assert cursor == {"pol": {"5001": T + 3600, "5002": T + 2000, "5003": T + 1000}}

        server.requests.clear()
        again = crawl(settings)
        assert (again.status, again.new, again.items) == ("ok", 0, 0)
        assert thread_hits(server) == []  # nothing changed: only threads.json was read

        serve(
            server,
            **{
                **BOARD_V1,
                "threads.json": "threads_v2.json",
                "thread/5001.json": "thread_5001_v2.json",
            },
        )
        server.requests.clear()
        third = crawl(settings)
        assert (third.status, third.new) == ("ok", 1)
        assert thread_hits(server) == ["/pol/thread/5001.json"]
        posts = stored_posts(settings)
        cursor, runs = source_state(settings, "pol")

    new = posts["pol/5009"]
    assert new["text"] == "Harlan Springs folks should come too, it's our levy as well."
    assert new["created_at"] == at(7200)
    assert cursor["pol"]["5001"] == T + 7200
    assert [run["items_new"] for run in runs] == [7, 0, 1]


def test_max_pages_limits_board_pages_and_require_local_false_keeps_all(
    tmp_path: Path,
) -> None:
    with MockServer() as server:
        serve(server, **BOARD_V1)
        settings = marlow_settings(tmp_path, source(server, max_pages=1, require_local=False))
        summary = crawl(settings)
        posts = stored_posts(settings)
        cursor, _ = source_state(settings, "pol")
        hits = thread_hits(server)

    assert summary.status == "ok"
    assert hits == ["/pol/thread/5001.json", "/pol/thread/5002.json"]  # page 2 not read
    assert sorted(posts) == [
        "pol/5001",
        "pol/5002",
        "pol/5004",
        "pol/5005",
        "pol/5006",
        "pol/5007",
        "pol/5008",
    ]
    assert posts["pol/5007"]["text"] == "Michelin or bust" and posts["pol/5007"]["places"] == []
    assert cursor == {"pol": {"5001": T + 3600, "5002": T + 2000}}


def test_catalog_listing_stores_listed_posts_and_is_incremental(tmp_path: Path) -> None:
    with MockServer() as server:
        serve(server, **BOARD_V1)
        settings = marlow_settings(tmp_path, source(server, listing="catalog"))
        first = crawl(settings)
        server.requests.clear()
        second = crawl(settings)
        posts = stored_posts(settings)
        hits = thread_hits(server)

    assert first.status == "ok" and first.new == 7
    assert (second.status, second.new) == ("ok", 0) and hits == []
    assert posts["pol/5008"]["link"] == f"{SITE}/5001#p5008"


def test_a_thread_gone_since_the_listing_is_not_an_error(tmp_path: Path) -> None:
    with MockServer() as server:
        serve(server, **{k: v for k, v in BOARD_V1.items() if k != "thread/5002.json"})
        settings = marlow_settings(tmp_path, source(server))
        summary = crawl(settings)
        cursor, _ = source_state(settings, "pol")

    assert summary.status == "ok" and summary.errors == 0
    assert "5002" not in cursor["pol"]  # looked at again next run


def test_rate_limit_is_one_request_per_second_by_default() -> None:
    from cohesion.crawlers.spiders.fourchan import FourchanSpider
    from scrapy.settings import Settings as ScrapySettings

    settings = ScrapySettings({"DOWNLOAD_DELAY": 0.2, "CONCURRENT_REQUESTS_PER_DOMAIN": 8})
    FourchanSpider.update_settings(settings)
    assert settings.getfloat("DOWNLOAD_DELAY") == 1.0
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1


def test_bad_option_is_named(tmp_path: Path) -> None:
    from cohesion.config import ConfigError, SourceSettings
    from cohesion.crawlers.spiders.fourchan import FourchanSpider

    bad = SourceSettings.model_validate(
        {"name": "b", "platform": "fourchan", "board": "pol", "boards": ["x"]}
    )
    with pytest.raises(ConfigError, match="boards: unknown option"):
        FourchanSpider.parse_options(bad)
