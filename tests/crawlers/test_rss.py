"""rss spider, end to end through Scrapy against a loopback server with Marlow County feeds.

Fixtures (tests/fixtures/platforms/rss/): the Marlow County Gazette, a WordPress-style
RSS 2.0 feed (content:encoded in CDATA, an item with only a title and link, an
escaped-HTML description with an RFC 822 `<author>`, a comment feed), its next state
(`_v2`: one new item), and the Quill Lake Voice, a paged Atom feed (RFC 5005
`rel="next"`, RFC 3339 times with offsets, html/text/xhtml content).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.crawlers.crawl_helpers_b import crawl, fixture_text, marlow_settings
from tests.crawlers.helpers import pseudonym, source_state, stored_posts
from tests.crawlers.mockserver import MockServer, Reply

GAZETTE = "https://marlowgazette.example"
VOICE = "https://quilllakevoice.example"
LEVY = f"{GAZETTE}/?p=101"


def serve(server: MockServer, routes: dict[str, str]) -> None:
    server.routes.clear()
    for path, name in routes.items():
        kind = "atom" if name.endswith(".atom") else "rss"
        server.add(
            path,
            Reply(
                200,
                {"Content-Type": f"application/{kind}+xml; charset=UTF-8"},
                fixture_text("rss", name),
            ),
        )


GAZETTE_ROUTES = {
    "/feed/": "marlow_gazette.xml",
    "/2023/11/14/bexley-library-levy/feed/": "marlow_gazette_comments_101.xml",
}
VOICE_ROUTES = {
    "/feed.atom": "quill_lake_voice.atom",
    "/feed-2.atom": "quill_lake_voice_2.atom",
    "/feed-3.atom": "quill_lake_voice_3.atom",
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_rss_feed_with_comments_then_only_new_items(tmp_path: Path) -> None:
    with MockServer() as server:
        serve(server, GAZETTE_ROUTES)
        settings = marlow_settings(
            tmp_path,
            {
                "name": "gazette",
                "platform": "rss",
                "base_url": server.url,
                "feeds": ["/feed/"],
                "follow_comments": True,
            },
        )
        first = crawl(settings)
        posts = stored_posts(settings)
        cursor, _ = source_state(settings, "gazette")
        second = crawl(settings)
        serve(server, {**GAZETTE_ROUTES, "/feed/": "marlow_gazette_v2.xml"})
        third = crawl(settings)
        after = stored_posts(settings)
        _, runs = source_state(settings, "gazette")

    assert first.status == "ok", first.message
    assert sorted(posts) == sorted(
        [
            LEVY,
            f"{GAZETTE}/2023/11/13/fenwick-road-closures/",
            f"{GAZETTE}/2023/11/12/harlan-springs-school-board/",
            f"{GAZETTE}/2023/11/14/bexley-library-levy/#comment-9001",
            f"{GAZETTE}/2023/11/14/bexley-library-levy/#comment-9002",
        ]
    )
    levy = posts[LEVY]  # content:encoded wins over the description; RFC 822 with offset
    assert levy["text"] == (
        "The Bexley City Council voted 4\u20133 on Tuesday to put a library levy on the ballot."
        "\n\nCouncil member Rosa Tran said the Main Street branch \u201ccannot wait another "
        "year\u201d for a new roof."
    )
    assert levy["title"] == "Bexley council approves library levy"
    assert levy["created_at"] == utc(2023, 11, 15, 4, 30)
    assert levy["link"] == f"{GAZETTE}/2023/11/14/bexley-library-levy/"
    assert levy["author"] == pseudonym("rss", "Dana Whitfield")
    assert levy["engagement"] == {"comments": 2}
    assert levy["places"] == ["Bexley"]

    bare = posts[f"{GAZETTE}/2023/11/13/fenwick-road-closures/"]  # no guid, author, text
    assert bare["text"] == "Fenwick road closures this weekend"
    assert bare["author"] is None and bare["created_at"] == utc(2023, 11, 13, 9, 15)

    escaped = posts[f"{GAZETTE}/2023/11/12/harlan-springs-school-board/"]
    assert escaped["text"] == (
        "Only 12 votes separate the two candidates in Harlan Springs, and the county will recount."
    )
    assert escaped["author"] == pseudonym("rss", "Sam Ortiz")

    reply = posts[f"{GAZETTE}/2023/11/14/bexley-library-levy/#comment-9002"]
    assert reply["text"] == "In reply to quietneighbor.\n\nAnother tax nobody asked for."
    assert reply["author"] == pseudonym("rss", "Ostrander Dad")
    assert reply["parent_id"] == LEVY and reply["thread_id"] == LEVY
    assert reply["created_at"] == utc(2023, 11, 15, 14, 2, 11)
    first_reply = posts[f"{GAZETTE}/2023/11/14/bexley-library-levy/#comment-9001"]
    assert first_reply["text"] == "Good. The roof has leaked since 2019."
    assert first_reply["places"] == []  # kept: a local feed does not require a place

    assert cursor["/feed/"]["newest"] == "2023-11-15T04:30:00+00:00"
    assert (second.status, second.new) == ("ok", 0)
    assert (third.status, third.new) == ("ok", 1)
    new = after[f"{GAZETTE}/?p=104"]
    assert new["text"] == "Deputies arrested a 41-year-old Ostrander man on Wednesday."
    assert new["created_at"] == utc(2023, 11, 16, 15, 5)
    assert [run["items_new"] for run in runs] == [5, 0, 1]


def test_paged_atom_feed_stops_at_max_pages_and_at_the_cursor(tmp_path: Path) -> None:
    with MockServer() as server:
        serve(server, VOICE_ROUTES)
        settings = marlow_settings(
            tmp_path,
            {
                "name": "voice",
                "platform": "rss",
                "base_url": server.url,
                "feeds": ["feed.atom"],
                "max_pages": 2,
            },
        )
        first = crawl(settings)
        posts = stored_posts(settings)
        pages_first = [r.path for r in server.hits("/feed")]
        server.requests.clear()
        second = crawl(settings)
        pages_second = [r.path for r in server.hits("/feed")]
        cursor, _ = source_state(settings, "voice")

    assert first.status == "ok", first.message
    assert pages_first == ["/feed.atom", "/feed-2.atom"]
    assert sorted(posts) == [f"tag:quilllakevoice.example,2023:post-{n}" for n in (75, 76, 77)]
    tower = posts["tag:quilllakevoice.example,2023:post-77"]
    assert tower["text"] == "Crews will close Tower Road in Ostrander for two weeks."
    assert tower["created_at"] == utc(2023, 11, 14, 14, 0)  # published, not updated
    assert tower["link"] == f"{VOICE}/2023/11/ostrander-water-tower"
    assert tower["author"] == pseudonym("rss", "Priya Nand")
    derby = posts["tag:quilllakevoice.example,2023:post-76"]  # only <updated>, text summary
    assert derby["created_at"] == utc(2023, 11, 10, 16, 45)
    assert derby["text"] == "The derby moves to February because the ice is too thin."
    assert derby["author"] is None
    letter = posts["tag:quilllakevoice.example,2023:post-75"]  # xhtml content, +01:00
    assert letter["text"] == "Closing the clinic would leave Fenwick without a doctor on weekends."
    assert letter["created_at"] == utc(2023, 11, 3, 11, 0)

    assert (second.status, second.new) == ("ok", 0)
    assert pages_second == ["/feed.atom"]  # nothing new on page 1: no paging
    assert cursor["feed.atom"]["newest"] == "2023-11-14T14:00:00+00:00"


def test_feed_that_is_not_a_feed_fails_the_run(tmp_path: Path) -> None:
    with MockServer() as server:
        server.add("/feed/", Reply(200, {"Content-Type": "text/html"}, "<html>gone</html>"))
        settings = marlow_settings(
            tmp_path,
            {"name": "gazette", "platform": "rss", "base_url": server.url, "feeds": ["/feed/"]},
        )
        summary = crawl(settings)
        cursor, _ = source_state(settings, "gazette")

    assert summary.status == "failed" and "not a feed" in summary.message
    assert cursor == {}


def test_feeds_option_is_required() -> None:
    from cohesion.config import ConfigError, SourceSettings
    from cohesion.crawlers.spiders.rss import RssSpider

    bad = SourceSettings.model_validate({"name": "b", "platform": "rss", "feed": "/x"})
    with pytest.raises(ConfigError, match=r"feeds: Field required.*feed: unknown option"):
        RssSpider.parse_options(bad)
