"""`cohesion import` of 4CAT and Zeeschuimer exports, post by post, per platform.

Inputs are written as 4CAT and Zeeschuimer write them (tests/scale/fourcat_writers.py)
from invented items; every test asserts what is stored for each post.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cohesion.crawlers.import_formats import mapping_table_markdown
from cohesion.crawlers.imports import ImportFileError
from cohesion.store.engine import session_scope
from cohesion.store.models import Author, CrawlRun
from cohesion.store.posts import PostRecord, upsert_posts
from sqlalchemy import func, select

from tests.scale.fourcat_writers import (
    fourcat_original,
    items_to_csv,
    items_to_ndjson,
    telegram_map_item,
    telegram_message,
    zeeschuimer_export,
)
from tests.scale.import_helpers import PSEUDO, posts, run, stored_id

REPO = Path(__file__).resolve().parents[2]


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def epoch(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(at(year, month, day, hour, minute).timestamp())


def counts(summary: Any) -> tuple[int, int, int, int]:
    return summary.rows, summary.new, summary.duplicate, summary.bad


# --- 4chan ---------------------------------------------------------------------------


def fourchan_item(board: str, no: int, thread: int, body: str, **extra: Any) -> dict[str, Any]:
    """A row of 4CAT's 4chan dataset CSV."""
    moment = at(2026, 3, 1, 12, no - thread)  # a minute a reply
    return {
        "id": no,
        "thread_id": thread,
        "timestamp": moment.strftime("%Y-%m-%d %H:%M:%S"),
        "unix_timestamp": int(moment.timestamp()),
        "subject": extra.pop("subject", ""),
        "body": body,
        "author": extra.pop("author", "Anonymous"),
        "author_trip": extra.pop("author_trip", ""),
        "author_type_id": "",
        "country_code": "",
        "board": board,
        "image_file": "",
        **extra,
    }


def test_4chan_boards_never_collide_and_match_the_crawler(store: Any, tmp_path: Path) -> None:
    # The crawler stored /pol/ 1001 before (crawlers/spiders/fourchan.py keys it "pol/1001").
    with session_scope(store[1]) as session:
        crawled = PostRecord("fourchan", "pol/1001", "crawled copy", at(2026, 3, 1, 12, 0))
        upsert_posts(session, [crawled])
    items = [
        fourchan_item("pol", 1001, 1001, "Ashford thread opener", subject="Ashford"),
        fourchan_item("pol", 1002, 1001, ">>1001\nagreed", author_trip="!Trip1"),
        fourchan_item("pol", 1003, 1001, ">>1002\nno way", author="joe"),
        fourchan_item("int", 1001, 1001, "another board, same numbers"),
        fourchan_item("int", 1002, 1001, ">>1001\nhello"),
        fourchan_item("int", 1003, 1001, "no quote at all", unix_timestamp=""),
    ]
    path = items_to_csv(tmp_path / "4chan.csv", items)
    summary = run(store, path)  # format and platform both from 4CAT's columns
    assert (summary.format, *counts(summary)) == ("4cat", 6, 5, 1, 0)
    stored = posts(store[1])
    assert sorted(stored) == ["int/1001", "int/1002", "int/1003", "pol/1001", "pol/1002",
                              "pol/1003"]  # fmt: skip
    assert stored["pol/1001"]["text"] == "crawled copy"  # stored once: the crawled copy
    expected = {  # external_id: (parent_id, author, minute)
        "pol/1002": ("pol/1001", PSEUDO("fourchan", "!Trip1"), 1),
        "pol/1003": ("pol/1002", PSEUDO("fourchan", "joe"), 2),
        "int/1001": (None, None, 0),
        "int/1002": ("int/1001", None, 1),
        "int/1003": ("int/1001", None, 2),  # no quote: the thread is the parent
    }
    for external_id, (parent, author, minute) in expected.items():
        post = stored[external_id]
        board, no = external_id.split("/")
        assert post["platform"] == "fourchan" and post["thread_id"] == f"{board}/1001"
        assert (post["parent_id"], post["author"]) == (parent, author), external_id
        assert post["created_at"] == at(2026, 3, 1, 12, minute), external_id
        assert post["link"] == f"https://boards.4chan.org/{board}/thread/1001#p{no}"
    assert stored["int/1002"]["text"] == ">>1001\nhello"
    assert stored["pol/1003"]["title"] == "Ashford"  # the thread's title, as the crawler
    with session_scope(store[1]) as session:  # "Anonymous" never became an account
        assert session.scalar(select(func.count(Author.id))) == 2

    again = run(store, path)
    assert counts(again) == (6, 0, 6, 0)


def test_a_4chan_item_without_its_board_is_a_bad_row(store: Any, tmp_path: Path) -> None:
    items = [fourchan_item("pol", 7, 7, "ok"), fourchan_item("", 8, 7, "no board")]
    summary = run(store, items_to_ndjson(tmp_path / "x.ndjson", items), format="4cat",
                  platform="fourchan")  # fmt: skip
    assert counts(summary) == (2, 1, 0, 1)
    assert summary.bad_rows[0].line == 2
    assert summary.bad_rows[0].reason == "no board: its post numbers are unique per board only"
    assert list(posts(store[1])) == ["pol/7"]


# --- Telegram ------------------------------------------------------------------------

RESIDENT = {"_type": "User", "id": 555, "username": "Resident_One", "first_name": "Res"}


def telegram_messages() -> list[dict[str, Any]]:
    t0 = epoch(2026, 3, 1, 8, 0)
    return [
        telegram_message("marlowalerts", 100, t0, "Road closed in Ashford", views=812),
        telegram_message("marlowalerts", 101, t0 + 60, "Update", reply_to=100, forwards=2),
        telegram_message("marlowalerts", 102, t0 + 120, "From a member", sender=RESIDENT),
        telegram_message("ashfordnews", 100, t0 + 30, "Same numbers, other channel"),
        telegram_message("ashfordnews", 101, t0 + 90, "Reply here", reply_to=100, views=None),
    ]


def test_telegram_mapped_csv_and_original_ndjson_store_the_same_posts(
    store: Any, tmp_path: Path
) -> None:
    messages = telegram_messages()
    mapped = [telegram_map_item(m, "Europe/Amsterdam") for m in messages]
    summary = run(store, items_to_csv(tmp_path / "telegram.csv", mapped))
    assert counts(summary) == (5, 5, 0, 0)
    stored = posts(store[1])
    assert sorted(stored) == ["ashfordnews/100", "ashfordnews/101", "marlowalerts/100",
                              "marlowalerts/101", "marlowalerts/102"]  # fmt: skip
    for message in messages:
        channel = message["_chat"]["username"]
        key = f"{channel}/{message['id']}"
        post = stored[key]
        assert post["platform"] == "telegram"
        assert post["created_at"] == datetime.fromtimestamp(message["date"], UTC)
        assert post["link"] == f"https://t.me/{key}" and post["thread_id"] is None
        reply = message["reply_to"]
        assert post["parent_id"] == (f"{channel}/{reply['reply_to_msg_id']}" if reply else None)
        # a channel's own posts have the channel as author, as the crawler has them
        sender = str((message["_sender"] or {}).get("username"))
        assert post["author"] == PSEUDO("telegram", sender), key
        views = message["views"]
        assert post["engagement"] == ({"views": views} if views else {}), key
    assert stored["marlowalerts/100"]["places"] == ["Ashford"]

    original = fourcat_original_telegram(tmp_path, messages)
    again = run(store, original)
    assert counts(again) == (5, 0, 5, 0)


def fourcat_original_telegram(tmp_path: Path, messages: list[dict[str, Any]]) -> Path:
    """4CAT's "original" NDJSON of a Telegram dataset: the serialised messages as they are."""
    return items_to_ndjson(tmp_path / "telegram-original.ndjson", messages)


def test_telegram_original_ndjson_alone(store: Any, tmp_path: Path) -> None:
    messages = telegram_messages()
    summary = run(store, fourcat_original_telegram(tmp_path, messages), format="4cat")
    assert counts(summary) == (5, 5, 0, 0)
    stored = posts(store[1])
    update = stored["marlowalerts/101"]
    assert update["parent_id"] == "marlowalerts/100"
    assert update["engagement"] == {"views": 100, "forwards": 2}
    assert update["author"] == PSEUDO("telegram", "marlowalerts")
    assert stored["marlowalerts/102"]["author"] == PSEUDO("telegram", "resident_one")


def test_a_zone_less_telegram_time_needs_the_4cat_servers_zone(store: Any, tmp_path: Path) -> None:
    # An older export without unix_timestamp: `timestamp` is the server's local time.
    t = epoch(2026, 7, 1, 22, 30)  # summer: Amsterdam is UTC+2, so local 2026-07-02 00:30
    message = telegram_message("fairhavenfeed", 5, t, "Late news")
    mapped = telegram_map_item(message, "Europe/Amsterdam")
    del mapped["unix_timestamp"]
    assert mapped["timestamp"] == "2026-07-02 00:30:00"
    path = items_to_csv(tmp_path / "old.csv", [mapped])
    later = datetime(2026, 7, 5, tzinfo=UTC)
    with pytest.raises(ImportFileError, match="pass --timezone") as failed:
        run(store, path, now=later)
    assert "all 1 rows failed: line 2: created_at '2026-07-02 00:30:00' has no time zone" in str(
        failed.value
    )
    assert posts(store[1]) == {}
    summary = run(store, path, timezone="Europe/Amsterdam", now=later)
    assert counts(summary) == (1, 1, 0, 0)
    assert posts(store[1])["fairhavenfeed/5"]["created_at"] == datetime.fromtimestamp(t, UTC)
    with pytest.raises(ImportFileError, match="not a time zone name"):
        run(store, path, timezone="Mars/Olympus")


# --- Zeeschuimer: TikTok, X, Instagram, Gab, Truth Social ----------------------------


def tiktok_video(video: str, who: str, when: int, desc: str, plays: int) -> dict[str, Any]:
    return {
        "id": video,
        "desc": desc,
        "createTime": when,
        "author": {"id": "66" + video[-2:], "uniqueId": who, "nickname": who.title()},
        "authorStats": {"followerCount": 5},
        "stats": {"diggCount": 10, "commentCount": 2, "shareCount": 1, "playCount": plays},
        "music": {"title": "original sound", "id": "1", "playUrl": ""},
        "video": {"cover": "", "downloadAddr": ""},
        "duetInfo": {"duetFromId": "0"},
        "textExtra": [],
    }


def tiktok_map_item(post: dict[str, Any]) -> dict[str, Any]:
    """4CAT's SearchTikTok.map_item (the columns that matter here)."""
    when = datetime.fromtimestamp(int(post["createTime"]), UTC)
    return {
        "id": post["id"],
        "thread_id": post["id"],
        "author": post["author"]["uniqueId"],
        "author_full": post["author"]["nickname"],
        "body": post["desc"],
        "timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
        "unix_timestamp": int(when.timestamp()),
        "is_duet": False,
        "music_name": post["music"]["title"],
        "tiktok_url": f"https://www.tiktok.com/@{post['author']['uniqueId']}/video/{post['id']}",
        "likes": post["stats"]["diggCount"],
        "comments": post["stats"]["commentCount"],
        "shares": post["stats"]["shareCount"],
        "plays": post["stats"]["playCount"],
        "hashtags": "",
    }


def test_tiktok_from_zeeschuimer_then_from_4cat(store: Any, tmp_path: Path) -> None:
    videos = [
        tiktok_video(
            "7300000000000000001", "marlow_mom", epoch(2026, 3, 2, 9), "Ashford fair", 500
        ),
        tiktok_video("7300000000000000002", "anon_dad", epoch(2026, 3, 2, 10), "hello", 7),
    ]
    comment = {"cid": "7400000000000000009", "aweme_id": videos[0]["id"], "reply_id": "0",
               "text": "see you there", "create_time": epoch(2026, 3, 2, 11),
               "user": {"unique_id": "neighbour"}, "digg_count": 4}  # fmt: skip
    path = zeeschuimer_export(tmp_path / "zeeschuimer-tiktok.ndjson", "tiktok.com", videos)
    with path.open("a") as handle:  # Zeeschuimer's comment module, appended
        handle.write(zeeschuimer_export(tmp_path / "c.ndjson", "tiktok-comments", [comment])
                     .read_text())  # fmt: skip
    summary = run(store, path)  # an .ndjson of envelopes: 4CAT format, TikTok, unasked
    assert (summary.format, *counts(summary)) == ("4cat", 3, 3, 0, 0)
    stored = posts(store[1])
    for video in videos:
        post = stored[video["id"]]
        who = video["author"]["uniqueId"]
        assert post["platform"] == "tiktok" and post["text"] == video["desc"]
        assert post["author"] == PSEUDO("tiktok", who) and post["thread_id"] == video["id"]
        assert post["created_at"] == datetime.fromtimestamp(video["createTime"], UTC)
        assert post["link"] == f"https://www.tiktok.com/@{who}/video/{video['id']}"
        assert post["engagement"] == {"likes": 10, "comments": 2, "shares": 1,
                                      "plays": video["stats"]["playCount"]}  # fmt: skip
    reply = stored["7400000000000000009"]
    assert reply["parent_id"] == reply["thread_id"] == videos[0]["id"]
    assert reply["author"] == PSEUDO("tiktok", "neighbour") and reply["engagement"] == {"likes": 4}

    mapped = items_to_csv(tmp_path / "tiktok.csv", [tiktok_map_item(v) for v in videos])
    assert counts(run(store, mapped)) == (2, 0, 2, 0)  # the same posts, from 4CAT's CSV


def tweet(rest_id: str, who: str, when: str, text: str, reply_to: str | None = None) -> dict:
    return {
        "rest_id": rest_id,
        "core": {"user_results": {"result": {"legacy": {"screen_name": who, "name": who}}}},
        "source": '<a href="https://x.com">Web</a>',
        "views": {"count": "1234"},
        "legacy": {
            "created_at": when,
            "full_text": text,
            "conversation_id_str": reply_to or rest_id,
            "in_reply_to_status_id_str": reply_to,
            "user_id_str": "42",
            "favorite_count": 5,
            "retweet_count": 1,
            "reply_count": 0,
            "quote_count": 2,
            "entities": {"hashtags": [], "urls": [], "user_mentions": []},
        },
    }


def x_map_item(item: dict[str, Any]) -> dict[str, Any]:
    """4CAT's SearchTwitterViaZeeschuimer.map_item_modern (the columns that matter here)."""
    legacy, who = item["legacy"], item["core"]["user_results"]["result"]["legacy"]["screen_name"]
    when = datetime.strptime(legacy["created_at"], "%a %b %d %H:%M:%S %z %Y")
    return {
        "id": item["rest_id"],
        "thread_id": legacy["conversation_id_str"],
        "timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
        "unix_timestamp": int(when.timestamp()),
        "link": f"https://x.com/{who}/status/{item['rest_id']}",
        "body": legacy["full_text"],
        "author": who,
        "retweet_count": legacy["retweet_count"],
        "reply_count": legacy["reply_count"],
        "like_count": legacy["favorite_count"],
        "quote_count": legacy["quote_count"],
        "impression_count": item["views"]["count"],
        "is_retweet": "no",
        "is_quote_tweet": "no",
    }


def test_x_from_zeeschuimer_4cat_original_and_4cat_api(store: Any, tmp_path: Path) -> None:
    tweets = [
        tweet("1800000000000000001", "MarlowWatch", "Mon Mar 02 04:30:00 +0000 2026",
              "Meeting at Ashford tonight"),
        tweet("1800000000000000002", "replier", "Mon Mar 02 05:00:00 +0000 2026",
              "@MarlowWatch see you", reply_to="1800000000000000001"),
    ]  # fmt: skip
    summary = run(store, zeeschuimer_export(tmp_path / "x.ndjson", "x.com", tweets))
    assert counts(summary) == (2, 2, 0, 0)
    stored = posts(store[1])
    first, second = stored["1800000000000000001"], stored["1800000000000000002"]
    assert first["platform"] == "x" and first["places"] == ["Ashford"]
    assert first["created_at"] == at(2026, 3, 2, 4, 30) and first["parent_id"] is None
    assert first["link"] == "https://x.com/MarlowWatch/status/1800000000000000001"
    assert first["author"] == PSEUDO("x", "marlowwatch")
    assert first["engagement"] == {"like_count": 5, "retweet_count": 1, "reply_count": 0,
                                   "quote_count": 2, "impression_count": 1234}  # fmt: skip
    assert second["parent_id"] == second["thread_id"] == "1800000000000000001"

    original = fourcat_original(tmp_path / "x-original.ndjson", "twitter.com", tweets)
    assert counts(run(store, original)) == (2, 0, 2, 0)
    api = items_to_ndjson(tmp_path / "x-api.ndjson", [x_map_item(t) for t in tweets])
    assert counts(run(store, api, format="4cat")) == (2, 0, 2, 0)


def test_instagram_gab_and_truth_social_from_zeeschuimer(store: Any, tmp_path: Path) -> None:
    insta = {"id": "3300_77", "code": "C4abc", "taken_at": epoch(2026, 3, 3, 15),
             "caption": {"text": "Brindle park cleanup"}, "user": {"username": "marlowparks"},
             "like_count": 12, "comment_count": 3}  # fmt: skip
    gab = {"id": "111", "created_at": "2026-03-03T16:00:00.000Z",
           "content": "<p>Rally in <b>Ashford</b></p><p>Be there</p>",
           "url": "https://gab.com/gabber/posts/111", "conversation_id": "111",
           "account": {"id": "9", "username": "gabber", "acct": "gabber", "display_name": "G",
                       "note": ""},
           "favourites_count": 3, "replies_count": 1, "reblogs_count": 0}  # fmt: skip
    truth = {"id": "222", "created_at": "2026-03-03T17:00:00.000Z", "in_reply_to_id": "220",
             "content": "<p>Marlow Co. news</p>", "url": "https://truthsocial.com/@t/222",
             "account": {"id": "8", "username": "truther", "acct": "truther"},
             "replies_count": 0, "reblogs_count": 4, "favourites_count": 9}  # fmt: skip
    path = tmp_path / "mixed.ndjson"
    path.write_text(
        zeeschuimer_export(tmp_path / "a", "instagram.com", [insta]).read_text()
        + zeeschuimer_export(tmp_path / "b", "gab.com", [gab]).read_text()
        + zeeschuimer_export(tmp_path / "c", "truthsocial.com", [truth]).read_text()
    )
    assert counts(run(store, path)) == (3, 3, 0, 0)
    stored = posts(store[1])
    insta_post = stored["C4abc"]
    assert insta_post["platform"] == "instagram" and insta_post["text"] == "Brindle park cleanup"
    assert insta_post["author"] == PSEUDO("instagram", "marlowparks")
    assert insta_post["created_at"] == at(2026, 3, 3, 15)
    assert insta_post["link"] == "https://www.instagram.com/p/C4abc/"
    assert insta_post["engagement"] == {"likes": 12, "comments": 3}
    assert stored["111"]["platform"] == "gab" and stored["111"]["text"] == (
        "Rally in Ashford\n\nBe there"
    )
    assert stored["111"]["author"] == PSEUDO("gab", "gabber")
    assert stored["111"]["created_at"] == at(2026, 3, 3, 16) and stored["111"]["places"] == [
        "Ashford"
    ]
    assert stored["111"]["engagement"] == {"favourites_count": 3, "replies_count": 1,
                                           "reblogs_count": 0}  # fmt: skip
    assert stored["222"]["platform"] == "truthsocial" and stored["222"]["parent_id"] == "220"
    assert stored["222"]["text"] == "Marlow Co. news"
    assert stored["222"]["places"] == ["Marlow County"]
    assert stored["222"]["author"] == PSEUDO("truthsocial", "truther")


# --- Reddit and Bluesky (4CAT) -------------------------------------------------------


def test_reddit_mapped_csv_uses_the_crawlers_fullnames(store: Any, tmp_path: Path) -> None:
    rows = [
        {"thread_id": "abc123", "id": "abc123", "timestamp": "2026-03-04 10:00:00",
         "body": "", "subject": "Ashford budget vote", "author": "MarlowMod",
         "subreddit": "marlow", "parent": "", "score": 5, "url": "https://example.org/vote"},
        {"thread_id": "abc123", "id": "def456", "timestamp": "2026-03-04 10:05:00",
         "body": "gone", "subject": "", "author": "[deleted]", "subreddit": "marlow",
         "parent": "t3_abc123", "score": 1, "url": ""},
    ]  # fmt: skip
    assert counts(run(store, items_to_csv(tmp_path / "reddit.csv", rows))) == (2, 2, 0, 0)
    stored = posts(store[1])
    thread, comment = stored["t3_abc123"], stored["t1_def456"]
    assert thread["text"] == thread["title"] == "Ashford budget vote"  # a link post's words
    assert thread["thread_id"] == "t3_abc123" and thread["parent_id"] is None
    assert thread["author"] == PSEUDO("reddit", "marlowmod")
    assert thread["created_at"] == at(2026, 3, 4, 10)  # 4CAT's Reddit times are UTC
    assert thread["link"] == "https://www.reddit.com/comments/abc123/"
    assert thread["engagement"] == {"score": 5, "subreddit": "marlow"}
    assert comment["parent_id"] == "t3_abc123" and comment["thread_id"] == "t3_abc123"
    assert comment["author"] is None  # [deleted]
    assert comment["link"] == "https://www.reddit.com/comments/abc123/_/def456/"


BSKY_ROOT = "at://did:plc:root0000/app.bsky.feed.post/3kroot"
BSKY_REPLY = "at://did:plc:reply000/app.bsky.feed.post/3kreply"


def bluesky_raw() -> list[dict[str, Any]]:
    """getPosts/searchPosts views as 4CAT's Bluesky data source stores them (atproto)."""

    def view(uri: str, did: str, handle: str, text: str, when: str, **reply: Any) -> dict:
        record: dict[str, Any] = {"text": text, "created_at": when, "langs": ["en"]}
        if reply:
            record["reply"] = {"parent": {"uri": reply["parent"]}, "root": {"uri": reply["root"]}}
        return {"uri": uri, "cid": "bafy", "author": {"did": did, "handle": handle},
                "record": record, "like_count": 3, "repost_count": 1, "reply_count": 1,
                "quote_count": 0, "labels": [], "threadgate": None}  # fmt: skip

    return [
        view(BSKY_ROOT, "did:plc:root0000", "marlow.bsky.social", "Ashford water notice",
             "2026-03-05T08:00:00.000Z"),
        view(BSKY_REPLY, "did:plc:reply000", "neighbour.bsky.social", "thanks",
             "2026-03-05T08:10:00.000Z", parent=BSKY_ROOT, root=BSKY_ROOT),
    ]  # fmt: skip


def test_bluesky_original_and_mapped_are_one_post_each(store: Any, tmp_path: Path) -> None:
    raw = bluesky_raw()
    assert counts(run(store, items_to_ndjson(tmp_path / "b.ndjson", raw), format="4cat")) == (
        2, 2, 0, 0)  # fmt: skip
    stored = posts(store[1])
    root, reply = stored[BSKY_ROOT], stored[BSKY_REPLY]
    assert root["author"] == PSEUDO("bluesky", "did:plc:root0000")  # the DID, as the crawler
    assert root["thread_id"] == stored_id("bluesky", BSKY_ROOT) and root["parent_id"] is None
    assert root["link"] == "https://bsky.app/profile/marlow.bsky.social/post/3kroot"
    assert root["engagement"] == {"like": 3, "repost": 1, "reply": 1, "quote": 0}
    assert reply["parent_id"] == reply["thread_id"] == stored_id("bluesky", BSKY_ROOT)
    assert reply["created_at"] == at(2026, 3, 5, 8, 10)
    mapped = [
        {"id": item["uri"], "thread_id": BSKY_ROOT, "created_at": item["record"]["created_at"],
         "author": item["author"]["handle"], "author_id": item["author"]["did"],
         "body": item["record"]["text"], "link": "", "like_count": 3, "quote_count": 0,
         "reply_count": 1, "repost_count": 1,
         "replied_to_post": "https://bsky.app/profile/did:plc:root0000/post/3kroot"
         if "reply" in item["record"] else "",
         "timestamp": datetime.fromisoformat(item["record"]["created_at"]).timestamp()}
        for item in raw
    ]  # fmt: skip
    summary = run(store, items_to_csv(tmp_path / "bsky.csv", mapped))
    assert counts(summary) == (2, 0, 2, 0)


def test_bluesky_mapped_alone_keeps_parent_and_engagement(store: Any, tmp_path: Path) -> None:
    item = {"id": BSKY_REPLY, "thread_id": BSKY_ROOT, "created_at": "2026-03-05T08:10:00+00:00",
            "author": "neighbour.bsky.social", "author_id": "did:plc:reply000", "body": "thanks",
            "link": "https://bsky.app/profile/neighbour.bsky.social/post/3kreply",
            "like_count": 2, "quote_count": 0, "reply_count": 0, "repost_count": 5,
            "replied_to_post": "https://bsky.app/profile/did:plc:root0000/post/3kroot",
            "timestamp": 1772698200.0}  # fmt: skip
    assert counts(run(store, items_to_ndjson(tmp_path / "m.ndjson", [item]), format="4cat")) == (
        1, 1, 0, 0)  # fmt: skip
    post = posts(store[1])[BSKY_REPLY]
    assert post["parent_id"] == post["thread_id"] == stored_id("bluesky", BSKY_ROOT)
    assert post["author"] == PSEUDO("bluesky", "did:plc:reply000")
    assert post["engagement"] == {"like": 2, "repost": 5, "reply": 0, "quote": 0}
    assert post["link"] == item["link"] and post["created_at"] == at(2026, 3, 5, 8, 10)


# --- placeholder, anonymised and pseudonymised authors -------------------------------


def test_placeholder_and_4cat_pseudonymised_authors(store: Any, tmp_path: Path) -> None:
    # 4CAT's "Pseudonymise" processor: one salted blake2b (24 bytes) for every author*
    # value, so an empty sender id, username and name all become the same hash.
    salt = b"0123456789abcdef"

    def hashed(value: Any) -> str:
        hasher = hashlib.blake2b(digest_size=24, salt=salt)
        hasher.update(str(value).encode("utf-8"))
        return hasher.hexdigest()

    t0 = epoch(2026, 3, 6, 9)
    broadcast = telegram_message("marlowalerts", 300, t0, "channel post", sender={})
    member = telegram_message("marlowalerts", 301, t0 + 5, "member post", sender=RESIDENT)
    rows = []
    for message in (broadcast, member):
        row = telegram_map_item(message, "UTC")
        for column in ("author", "author_username", "author_name"):
            row[column] = hashed(row[column])
        rows.append(row)
    redacted = telegram_map_item(telegram_message("marlowalerts", 302, t0 + 9, "x"), "UTC")
    for column in ("author", "author_username", "author_name"):
        redacted[column] = "REDACTED"
    rows.append(redacted)
    summary = run(store, items_to_csv(tmp_path / "pseudo.csv", rows))
    assert counts(summary) == (3, 3, 0, 0)
    stored = posts(store[1])
    assert stored["marlowalerts/300"]["author"] is None  # the hash of an empty sender
    assert stored["marlowalerts/301"]["author"] == PSEUDO("telegram", hashed("Resident_One"))
    assert stored["marlowalerts/302"]["author"] is None  # REDACTED
    assert summary.notes == [
        "1 row(s) come from a 4CAT-anonymised export (author REDACTED): stored without an author",
        "2 row(s) come from a 4CAT-pseudonymised export: each salted hash counts as one account "
        "(pseudonymised again here); 1 hash(es) of an empty name stored without an author",
    ]
    with session_scope(store[1]) as session:
        run_row = session.get_one(CrawlRun, summary.run_id)
        assert "4CAT-anonymised export" in (run_row.message or "")


# --- the mapping table in the docs ---------------------------------------------------


def test_docs_print_the_mapping_tables_of_the_code() -> None:
    docs = (REPO / "docs" / "imports.md").read_text(encoding="utf-8")
    assert mapping_table_markdown() in docs, "regenerate docs/imports.md (see its top)"


# --- Mastodon statuses and other platforms (news, forums) ----------------------------


def test_mastodon_statuses_and_a_news_dataset(store: Any, tmp_path: Path) -> None:
    status = {"id": "1101", "uri": "https://social.example/users/clerk/statuses/1101",
              "url": "https://social.example/@clerk/1101", "created_at": "2026-03-07T09:00:00Z",
              "content": "<p>Ashford <a href=\"https://x.example\">notice</a></p>",
              "spoiler_text": "", "in_reply_to_id": None,
              "account": {"username": "clerk", "acct": "clerk",
                          "url": "https://social.example/@clerk"},
              "replies_count": 1, "reblogs_count": 2, "favourites_count": 3}  # fmt: skip
    summary = run(store, items_to_ndjson(tmp_path / "statuses.ndjson", [status]))
    assert (summary.format, *counts(summary)) == ("4cat", 1, 1, 0, 0)
    toot = posts(store[1])[str(status["uri"])]
    assert toot["platform"] == "mastodon" and toot["text"] == "Ashford notice"
    assert toot["author"] == PSEUDO("mastodon", "clerk@social.example")  # as the crawler
    assert toot["link"] == status["url"] and toot["created_at"] == at(2026, 3, 7, 9)
    assert toot["engagement"] == {"replies": 1, "boosts": 2, "favourites": 3}

    news = [{"id": "n-1", "thread_id": "n-1", "timestamp": "2026-03-07 10:00:00",
             "unix_timestamp": epoch(2026, 3, 7, 10), "subject": "County budget",
             "body": "The Marlow Co. board met.", "author": "Desk", "link": "https://news.example/1",
             "num_comments": "4", "section": "local"}]  # fmt: skip
    path = items_to_csv(tmp_path / "news.csv", news)
    with pytest.raises(ImportFileError, match="does not say its platform: pass --platform"):
        run(store, path)
    assert counts(run(store, path, platform="rss")) == (1, 1, 0, 0)
    article = posts(store[1])["n-1"]
    assert article["platform"] == "rss" and article["title"] == "County budget"
    assert article["places"] == ["Marlow County"] and article["link"] == "https://news.example/1"
    assert article["engagement"] == {"num_comments": 4} and article["author"] == PSEUDO(
        "rss", "desk"
    )
    assert article["created_at"] == at(2026, 3, 7, 10)


def test_a_large_first_item_is_still_recognised(store: Any, tmp_path: Path) -> None:
    video = tiktok_video("7300000000000000003", "big_item", epoch(2026, 3, 2, 9), "Ashford", 1)
    video["padding"] = ["x" * 1000] * 300  # Zeeschuimer items carry much we do not read
    path = zeeschuimer_export(tmp_path / "big.ndjson", "tiktok.com", [video])
    assert path.stat().st_size > 256 * 1024
    summary = run(store, path)
    assert (summary.format, *counts(summary)) == ("4cat", 1, 1, 0, 0)
    assert posts(store[1])["7300000000000000003"]["author"] == PSEUDO("tiktok", "big_item")


def test_cli_says_when_4cat_anonymised_the_export(tmp_path: Path) -> None:
    from cohesion.cli import app
    from typer.testing import CliRunner

    from tests.scale.import_helpers import cli_config

    row = telegram_map_item(telegram_message("marlowalerts", 9, epoch(2026, 3, 6), "x"), "UTC")
    row.update(author="REDACTED", author_username="REDACTED", author_name="REDACTED")
    path = items_to_csv(tmp_path / "anon.csv", [row])
    result = CliRunner().invoke(app, ["--config", str(cli_config(tmp_path)), "import", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        "anon.csv: 1 row(s) come from a 4CAT-anonymised export (author REDACTED): stored "
        "without an author" in " ".join(result.output.split())
    )


def test_instagram_mapped_and_threads_from_zeeschuimer(store: Any, tmp_path: Path) -> None:
    taken = epoch(2026, 3, 3, 15)
    insta = {"id": "3300_77", "code": "C4abc", "taken_at": taken,
             "caption": {"text": "Brindle park cleanup"}, "user": {"username": "marlowparks"},
             "like_count": 12, "comment_count": 3}  # fmt: skip
    assert counts(run(store, zeeschuimer_export(tmp_path / "i.ndjson", "instagram.com",
                                                [insta]))) == (1, 1, 0, 0)  # fmt: skip
    # 4CAT's Instagram map_item: id and parent_id are the shortcode, `timestamp` local.
    mapped = {"id": "C4abc", "thread_id": "C4abc", "parent_id": "C4abc",
              "timestamp": "2026-03-03 16:00:00", "unix_timestamp": taken,
              "url": "https://www.instagram.com/p/C4abc", "body": "Brindle park cleanup",
              "author": "marlowparks", "num_likes": 12, "num_comments": 3}  # fmt: skip
    path = items_to_csv(tmp_path / "instagram.csv", [mapped, {**mapped, "id": "C4def",
                        "thread_id": "C4def", "parent_id": "C4def", "body": "Ashford pool"}])  # fmt: skip
    assert counts(run(store, path, platform="instagram")) == (2, 1, 1, 0)
    second = posts(store[1])["C4def"]
    assert second["parent_id"] is None and second["thread_id"] == "C4def"
    assert second["author"] == PSEUDO("instagram", "marlowparks")
    assert second["created_at"] == at(2026, 3, 3, 15) and second["places"] == ["Ashford"]
    assert second["engagement"] == {"likes": 12, "comments": 3}

    thread_post = {"pk": "1", "code": "Th1", "taken_at": epoch(2026, 3, 4, 8),
                   "caption": {"text": "Marlow Co. fair"}, "user": {"username": "fairgoer"},
                   "like_count": 2, "text_post_app_info": {"direct_reply_count": 1}}  # fmt: skip
    path = zeeschuimer_export(tmp_path / "t.ndjson", "threads.net", [thread_post])
    assert counts(run(store, path)) == (1, 1, 0, 0)
    post = posts(store[1])["Th1"]
    assert post["platform"] == "threads" and post["places"] == ["Marlow County"]
    assert post["link"] == "https://www.threads.net/@fairgoer/post/Th1"
    assert post["engagement"] == {"likes": 2, "replies": 1}
    assert post["author"] == PSEUDO("threads", "fairgoer")


def test_a_4cat_pseudonymised_4chan_export(store: Any, tmp_path: Path) -> None:
    def hashed(value: Any) -> str:
        return hashlib.blake2b(str(value).encode(), digest_size=24,
                               salt=b"fedcba9876543210").hexdigest()  # fmt: skip

    plain = [
        fourchan_item("pol", 1, 1, "op", author_type="Ab12"),
        fourchan_item("pol", 2, 1, ">>1\nreply", author_type="Zz99"),
        fourchan_item("pol", 3, 1, ">>1\ntripped", author_trip="!Trip9", author_type="Zz98"),
        fourchan_item("b", 4, 4, "a board without poster IDs"),
    ]
    rows = []
    for row in plain:  # 4CAT's "Pseudonymise" processor on author* columns
        rows.append({**row, **{k: hashed(row[k]) for k in row if k.startswith("author")}})
    summary = run(store, items_to_csv(tmp_path / "pseudo-4chan.csv", rows))
    assert counts(summary) == (4, 4, 0, 0)
    stored = posts(store[1])
    # A hashed name may be "Anonymous": the thread's poster ID stands for the account,
    # an empty tripcode (hashed alike the empty capcode) is no tripcode.
    assert stored["pol/1"]["author"] == PSEUDO("fourchan", f"pol/1/ID:{hashed('Ab12')}")
    assert stored["pol/2"]["author"] == PSEUDO("fourchan", f"pol/1/ID:{hashed('Zz99')}")
    assert stored["pol/3"]["author"] == PSEUDO("fourchan", hashed("!Trip9"))
    assert stored["b/4"]["author"] is None  # a hashed name and no poster ID
    assert summary.hashed_authors == 4 and "4CAT-pseudonymised" in summary.notes[0]


def test_truth_social_4cat_csv_and_reddit_things(store: Any, tmp_path: Path) -> None:
    # 4CAT's Truth Social map_item: the columns say the platform.
    truth = {"id": "333", "created_at": "2026-03-08T10:00:00.000Z", "body": "<p>Ashford!</p>",
             "url": "https://truthsocial.com/@t/333", "reblogs_count": 1, "replies_count": 2,
             "account_id": "8", "account_username": "truther", "account_display_name": "T",
             "account_verified": False, "thread_id": "333",
             "timestamp": "2026-03-08 10:00:00"}  # fmt: skip
    assert counts(run(store, items_to_csv(tmp_path / "truth.csv", [truth]))) == (1, 1, 0, 0)
    post = posts(store[1])["333"]
    assert post["platform"] == "truthsocial" and post["text"] == "Ashford!"
    assert post["engagement"] == {"replies_count": 2, "reblogs_count": 1}

    # Reddit's own JSON things (t3 and t1 data), one a line, with --format zeeschuimer.
    things = [
        {"name": "t3_zz1", "created_utc": epoch(2026, 3, 8, 11), "title": "Ashford roads",
         "selftext": "", "author": "poster", "permalink": "/r/marlow/comments/zz1/roads/",
         "score": 9, "num_comments": 1, "subreddit": "marlow"},
        {"name": "t1_yy2", "created_utc": epoch(2026, 3, 8, 12), "body": "agreed",
         "author": "[deleted]", "parent_id": "t3_zz1", "link_id": "t3_zz1",
         "permalink": "/r/marlow/comments/zz1/roads/yy2/", "score": 2, "subreddit": "marlow"},
    ]  # fmt: skip
    path = items_to_ndjson(tmp_path / "reddit.ndjson", things)
    assert counts(run(store, path, format="zeeschuimer")) == (2, 2, 0, 0)
    stored = posts(store[1])
    thread, comment = stored["t3_zz1"], stored["t1_yy2"]
    assert thread["text"] == thread["title"] == "Ashford roads"
    assert thread["link"] == "https://www.reddit.com/r/marlow/comments/zz1/roads/"
    assert thread["engagement"] == {"score": 9, "comments": 1, "subreddit": "marlow"}
    assert comment["parent_id"] == comment["thread_id"] == "t3_zz1"
    assert comment["author"] is None and comment["created_at"] == at(2026, 3, 8, 12)
