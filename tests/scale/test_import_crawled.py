"""A post crawled and the same post imported from a 4CAT export are one post.

The 4chan board of tests/fixtures/platforms/fourchan is crawled by the real spider
(loopback server); the same API posts are written as 4CAT's 4chan scraper stores them
and exported as its dataset CSV. Imported into the crawled store, every crawled post is
a duplicate; imported into an empty store, each post gets the crawler's identity,
thread, parent, author pseudonym, time, link and text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cohesion.crawlers.imports import import_file
from cohesion.store.engine import make_engine, make_session_factory
from cohesion.store.migrate import upgrade
from cohesion.store.pseudonyms import Pseudonymiser

from tests.crawlers.crawl_helpers_b import crawl, marlow_settings
from tests.crawlers.helpers import TEST_KEY, fixture_json, stored_posts
from tests.crawlers.mockserver import MockServer, Reply
from tests.scale.fourcat_writers import items_to_csv, telegram_map_item, telegram_message

pytestmark = pytest.mark.usefixtures("crawl_env")

THREADS = ("thread_5001.json", "thread_5002.json", "thread_5003.json")


def fourcat_4chan_rows() -> list[dict[str, Any]]:
    """The fixture's posts as 4CAT's 4chan scraper stores them, in its dataset CSV."""
    rows = []
    for name in THREADS:
        posts = fixture_json("fourchan", name)["posts"]
        thread = posts[0]["no"]
        for post in posts:
            moment = datetime.fromtimestamp(post["time"], UTC)
            rows.append(
                {
                    "id": post["no"],
                    "thread_id": thread,
                    "chan": "4chan",
                    "board": "pol",
                    "timestamp": moment.strftime("%Y-%m-%d %H:%M:%S"),
                    "unix_timestamp": post["time"],
                    "subject": post.get("sub", ""),
                    "body": post.get("com", ""),
                    "author": post.get("name", ""),
                    "author_trip": post.get("trip", ""),
                    "author_type": post.get("id", ""),
                    "author_type_id": post.get("capcode", ""),
                    "country_code": post.get("country", ""),
                    "country_name": post.get("country_name", ""),
                    "image_file": post["filename"] + post["ext"] if "filename" in post else "",
                }
            )
    return rows


def serve_board(server: MockServer) -> None:
    files = {"threads.json": "threads.json", "catalog.json": "catalog.json",
             **{f"thread/{n[7:]}": n for n in THREADS}}  # fmt: skip
    for path, name in files.items():
        body = (Path(__file__).parents[1] / "fixtures/platforms/fourchan" / name).read_text()
        server.add(f"/pol/{path}", Reply(200, {"Content-Type": "application/json"}, body))


def test_a_crawled_and_an_imported_4chan_post_are_one(tmp_path: Path) -> None:
    with MockServer() as server:
        serve_board(server)
        settings = marlow_settings(
            tmp_path,
            {"name": "pol", "platform": "fourchan", "base_url": server.url, "board": "pol"},
        )
        summary = crawl(settings)
        assert summary.status == "ok", summary.message
    crawled = stored_posts(settings)
    assert len(crawled) == 7  # the local posts only (the spider drops the others)

    export = items_to_csv(tmp_path / "4cat-pol.csv", fourcat_4chan_rows())
    pseudonymiser = Pseudonymiser(TEST_KEY.encode())
    now = datetime(2024, 1, 1, tzinfo=UTC)
    engine = make_engine(settings.database.url)
    try:
        imported = import_file(export, settings=settings, pseudonymiser=pseudonymiser,
                               sessions=make_session_factory(engine), now=now)  # fmt: skip
    finally:
        engine.dispose()
    assert (imported.rows, imported.new, imported.duplicate, imported.bad) == (9, 2, 7, 0)
    assert set(stored_posts(settings)) == set(crawled) | {"pol/5002", "pol/5007"}

    # Into an empty store: the crawler's fields, post by post.
    alone = settings.model_copy(deep=True)
    alone.database.url = f"sqlite:///{tmp_path / 'alone.db'}"
    engine = make_engine(alone.database.url)
    try:
        upgrade(engine)
        import_file(export, settings=alone, pseudonymiser=pseudonymiser,
                    sessions=make_session_factory(engine), now=now)  # fmt: skip
    finally:
        engine.dispose()
    fresh = stored_posts(alone)
    for external_id, post in crawled.items():
        mine = fresh[external_id]
        for key in ("platform", "thread_id", "parent_id", "created_at", "author", "url", "text",
                    "title", "places"):  # fmt: skip
            assert mine[key] == post[key], (external_id, key)


def test_a_crawled_and_an_imported_telegram_message_are_one(tmp_path: Path) -> None:
    html = {"Content-Type": "text/html; charset=utf-8"}
    with MockServer() as server:
        for path, name in (
            ("/s/marlowalerts", "s_marlowalerts.html"),
            ("/s/marlowalerts?before=106", "s_marlowalerts_before_106.html"),
        ):
            body = (Path(__file__).parents[1] / "fixtures/platforms/telegram" / name).read_bytes()
            server.add(path, Reply(200, html, body))  # fmt: skip
        settings = marlow_settings(
            tmp_path,
            {"name": "alerts", "platform": "telegram", "base_url": server.url,
             "channels": ["marlowalerts"]},
        )  # fmt: skip
        assert crawl(settings).status == "ok"
    crawled = stored_posts(settings)
    assert len(crawled) == 7

    # The same messages as 4CAT's Telegram data source has them (sent by the channel
    # itself unless the preview shows a signature), exported as its dataset CSV.
    rows = []
    for external_id, post in crawled.items():
        channel, number = external_id.split("/")
        parent = post["parent_id"]
        message = telegram_message(
            channel, int(number), int(post["created_at"].replace(tzinfo=UTC).timestamp()),
            post["text"], reply_to=int(parent.split("/")[1]) if parent else None,
        )  # fmt: skip
        rows.append(telegram_map_item(message, "Europe/Amsterdam"))
    export = items_to_csv(tmp_path / "4cat-telegram.csv", rows)
    alone = settings.model_copy(deep=True)
    alone.database.url = f"sqlite:///{tmp_path / 'alone.db'}"
    pseudonymiser = Pseudonymiser(TEST_KEY.encode())
    now = datetime(2024, 6, 1, tzinfo=UTC)
    for target, expected in ((settings, (7, 0, 7)), (alone, (7, 7, 0))):
        engine = make_engine(target.database.url)
        try:
            upgrade(engine)
            summary = import_file(export, settings=target, pseudonymiser=pseudonymiser,
                                  sessions=make_session_factory(engine), now=now)  # fmt: skip
        finally:
            engine.dispose()
        assert (summary.rows, summary.new, summary.duplicate) == expected
    fresh = stored_posts(alone)
    assert set(fresh) == set(crawled)
    signed = "marlowalerts/110"  # the crawler's author of a signed post is channel/signer
    for external_id, post in crawled.items():
        keys = ["platform", "thread_id", "parent_id", "url", "text", "places"]
        keys += ["author"] if external_id != signed else []
        for key in keys:
            assert fresh[external_id][key] == post[key], (external_id, key)
        assert fresh[external_id]["created_at"] == post["created_at"].replace(tzinfo=UTC)
