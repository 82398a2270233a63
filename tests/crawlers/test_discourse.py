"""discourse spider, end to end through Scrapy against a loopback Marlow County forum.

Fixtures (tests/fixtures/platforms/discourse/) in Discourse's real JSON schema: two
pages of /latest.json (topics 302 and 301, then 303); topic 301 has 23 posts, so
/t/301.json carries 20 and the other three come from /t/301/posts.json?post_ids[]=...;
post 5 quotes post 2 in an aside.quote, post 10 has a mention and an emoji. `_v2`
is the forum after post 24 of topic 301. posts.json and its `?before=3101` page list
the newest posts of all topics.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.crawlers.crawl_helpers_b import crawl, fixture_text, marlow_settings
from tests.crawlers.helpers import pseudonym, source_state, stored_posts
from tests.crawlers.mockserver import MockServer, Reply

SITE = "https://forum.marlowcounty.example"
HOST = "forum.marlowcounty.example"
LEVY = f"{SITE}/t/bexley-library-levy-vote/301"
CHUNK_1 = "/t/301/posts.json?post_ids[]=3021&post_ids[]=3022&post_ids[]=3023"
FORUM_V1 = {
    "/latest.json": "latest.json",
    "/latest.json?no_definitions=true&page=1": "latest_page1.json",
    "/t/301.json": "t_301.json",
    CHUNK_1: "t_301_posts_3021_3022_3023.json",
    "/t/302.json": "t_302.json",
    "/t/303.json": "t_303.json",
    "/posts.json": "posts.json",
    "/posts.json?before=3101": "posts_before_3101.json",
}
FORUM_V2 = {
    **FORUM_V1,
    "/latest.json": "latest_v2.json",
    "/t/301.json": "t_301_v2.json",
    "/t/301/posts.json?post_ids[]=3024": "t_301_posts_3024.json",
}


def serve(server: MockServer, routes: dict[str, str]) -> None:
    server.routes.clear()
    for path, name in routes.items():
        server.add(
            path,
            Reply(
                200,
                {"Content-Type": "application/json; charset=utf-8"},
                fixture_text("discourse", name),
            ),
        )


def source(server: MockServer, **options: object) -> dict[str, object]:
    return {
        "name": "forum",
        "platform": "discourse",
        "base_url": server.url,
        "site_url": SITE,
        **options,
    }


def topic_hits(server: MockServer) -> list[str]:
    return sorted(r.path for r in server.hits("/t/"))


def levy_time(number: int) -> datetime:
    return datetime(2023, 11, 14, 18, 0, 0, 250000, tzinfo=UTC) + timedelta(
        minutes=37 * (number - 1)
    )


def test_latest_topics_with_all_posts_then_only_new_posts(tmp_path: Path) -> None:
    with MockServer() as server:
        serve(server, FORUM_V1)
        settings = marlow_settings(tmp_path, source(server))
        first = crawl(settings)
        posts = stored_posts(settings)
        first_hits = topic_hits(server)
        cursor, _ = source_state(settings, "forum")

        server.requests.clear()
        second = crawl(settings)
        second_hits = [r.path for r in server.requests if r.path != "/robots.txt"]

        serve(server, FORUM_V2)
        server.requests.clear()
        third = crawl(settings)
        third_hits = topic_hits(server)
        after = stored_posts(settings)
        _, runs = source_state(settings, "forum")

    assert first.status == "ok", first.message
    assert first_hits == sorted(
        [
            "/t/301.json",
            "/t/302.json",
            "/t/303.json",
            "/t/301/posts.json?post_ids%5B%5D=3021&post_ids%5B%5D=3022&post_ids%5B%5D=3023",
        ]
    )
    assert sorted(posts) == sorted(
        [f"{HOST}/t/301/{n}" for n in range(1, 24)]
        + [f"{HOST}/t/302/1", f"{HOST}/t/302/2", f"{HOST}/t/303/1"]
    )
    op = posts[f"{HOST}/t/301/1"]
    assert op["text"] == "The levy is on the March ballot. What do people in Bexley think?"
    assert op["title"] == "Bexley library levy vote"
    assert op["created_at"] == levy_time(1)
    assert op["link"] == f"{LEVY}/1"
    assert op["author"] == pseudonym("discourse", "rosa_tran")
    assert op["parent_id"] is None and op["thread_id"] == f"{HOST}/t/301/1"

    quoting = posts[f"{HOST}/t/301/5"]  # the quote of post 2 is not post 5's text
    assert quoting["text"] == "About $48 a year on a $200k house, per the county auditor."
    assert quoting["parent_id"] == f"{HOST}/t/301/4"
    assert quoting["author"] == pseudonym("discourse", "harlan_hank")
    mention = posts[f"{HOST}/t/301/10"]
    assert mention["text"] == "@rosa_tran will the Quill Lake branch get anything?"
    assert mention["places"] == ["Bexley", "Quill Lake"]  # title and text
    assert mention["created_at"] == levy_time(10)
    late = posts[f"{HOST}/t/301/22"]  # beyond the first 20: from post_ids[]
    assert late["text"] == "Harlan Springs voted it down last time & regretted it."
    assert late["link"] == f"{LEVY}/22" and late["title"] == "Bexley library levy vote"
    assert posts[f"{HOST}/t/302/1"]["text"] == (
        "Fenwick posted the winter plow routes.\n\nMain roads first, then school routes."
    )
    assert posts[f"{HOST}/t/302/2"]["created_at"] == datetime(
        2023, 11, 15, 9, 5, 9, 481000, tzinfo=UTC
    )
    assert cursor["topics"]["301"] == {"n": 23, "last": 3023, "at": levy_time(23).isoformat()}

    assert (second.status, second.new) == ("ok", 0)
    assert second_hits == ["/latest.json"]  # nothing changed: no topic, no second page

    assert (third.status, third.new) == ("ok", 1)
    assert third_hits == ["/t/301.json", "/t/301/posts.json?post_ids%5B%5D=3024"]
    assert after[f"{HOST}/t/301/24"]["text"] == "Ostrander council endorsed it last night."
    assert [run["items_new"] for run in runs] == [26, 0, 1]


def test_posts_json_pages_with_before_and_stops_at_the_cursor(tmp_path: Path) -> None:
    with MockServer() as server:
        serve(server, FORUM_V1)
        settings = marlow_settings(tmp_path, source(server, listings=["/posts.json"], max_pages=2))
        first = crawl(settings)
        posts = stored_posts(settings)
        cursor, _ = source_state(settings, "forum")
        server.requests.clear()
        second = crawl(settings)
        hits = [r.path for r in server.hits("/posts.json")]

    assert first.status == "ok", first.message
    assert sorted(posts) == sorted(
        [
            f"{HOST}/t/303/1",
            f"{HOST}/t/302/1",
            f"{HOST}/t/302/2",
            f"{HOST}/t/301/21",
            f"{HOST}/t/301/22",
            f"{HOST}/t/301/23",
        ]
    )
    boat = posts[f"{HOST}/t/303/1"]
    assert boat["text"] == "The Quill Lake boat launch is closed for repairs until spring."
    assert boat["title"] == "Quill Lake boat launch closed"
    assert boat["link"] == f"{SITE}/t/quill-lake-boat-launch-closed/303/1"
    assert posts[f"{HOST}/t/301/23"]["link"] == f"{LEVY}/23"
    assert cursor == {"posts:/posts.json": 3201}
    assert (second.status, second.new) == ("ok", 0)
    assert hits == ["/posts.json"]


def test_base_url_is_required(tmp_path: Path) -> None:
    settings = marlow_settings(tmp_path, {"name": "forum", "platform": "discourse"})
    summary = crawl(settings)
    assert summary.status == "failed" and "needs base_url" in summary.message


def test_bad_option_is_named() -> None:
    from cohesion.config import ConfigError, SourceSettings
    from cohesion.crawlers.spiders.discourse import DiscourseSpider

    bad = SourceSettings.model_validate({"name": "f", "platform": "discourse", "topics": ["x"]})
    with pytest.raises(ConfigError, match=r"topics\.0: Input should be a valid integer"):
        DiscourseSpider.parse_options(bad)
