"""Discourse forums: topic lists, every post of each changed topic, and /posts.json.

What is collected, from the JSON API of one forum (`base_url`, required):
- `listings` (default `/latest.json`): API paths read each run. A topic list
  (`/latest.json`, a category such as `/c/town-hall/7.json`, `/top.json`) is paged
  through `more_topics_url` and leads to `/t/<id>.json` of each topic that changed;
  `/t/<id>.json` carries only the first ~20 posts, so the rest of `post_stream.stream`
  is fetched from `/t/<id>/posts.json?post_ids[]=...`, 20 ids at a time. `/posts.json`
  (the forum's newest posts, all topics) is paged with `?before=<post id>`; a path may
  also be a topic (`/t/<id>.json`) or a topic's posts (`/t/<id>/posts.json`).
- `topics`: topic ids read whenever they changed, whatever the listings show.
Text is the rendered `cooked` HTML without quotes of other posts (`aside.quote`), link
previews (`aside.onebox`) and image captions. Small-action posts (post_type 3: "closed
the topic", "split this topic") are forum events, not speech, and are left out.
Ids and permalinks use `site_url` (default `base_url`):
`<host>/t/<topic>/<number>`, the permalink `<site_url>/t/<slug>/<topic>/<number>`;
the thread is post 1 and the parent the replied-to post (post 1 when none).

Incrementality: the cursor keeps, per topic, the highest post number and the newest
post id seen; a topic is read again only when a listing shows a higher post number,
and then only the posts newer than that id are fetched past the first chunk. A topic
is recorded only when all its chunks arrived. For `/posts.json` the cursor is the
newest post id: paging stops there. Topic lists stop paging at a page with no change.
A forum is configured because it is the locality's, so require_local defaults to false.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from cohesion.config import ConfigError
from cohesion.crawlers.items import PostItem
from cohesion.crawlers.spiders.base import CohesionSpider, SourceOptions, parse_datetime
from pydantic import Field
from scrapy.http import Response

CHUNK = 20  # post ids per /t/<id>/posts.json request, as Discourse's own client asks
TOPICS_KEPT = 2000  # topic states kept in the cursor (most recently active first)
SMALL_ACTION = 3


class DiscourseOptions(SourceOptions):
    listings: list[str] = Field(
        default_factory=lambda: ["/latest.json"],
        description="API paths read each run: topic lists, /posts.json, topics",
    )
    topics: list[int] = Field(default_factory=list, description="Topic ids always followed")
    site_url: str | None = Field(None, description="Public root for ids and permalinks")


class DiscourseSpider(CohesionSpider):
    name = "discourse"
    Options = DiscourseOptions
    drop_selectors = ("aside.quote", "aside.onebox", ".lightbox-wrapper .meta")
    options: DiscourseOptions

    def local_by_default(self) -> bool:
        return True  # a forum is configured because it is the locality's own

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.base_url:
            raise ConfigError(
                f"source {self.source.name!r}: discourse needs base_url "
                "(the forum's root, e.g. https://forum.example.org)"
            )
        self.site = (self.options.site_url or self.base_url).rstrip("/")
        self.host = urlsplit(self.site).netloc
        self.topics: dict[str, dict[str, Any]] = dict(self.cursor.get("topics") or {})
        self.pending: dict[int, int] = {}  # topic id -> chunks still to arrive
        self.partial: dict[int, dict[str, Any]] = {}  # topic states until complete
        self.followed: set[int] = set()

    async def start(self) -> Any:
        for path in self.options.listings:
            yield self.request(self.url("/" + path.lstrip("/")), self.parse_api, path=path)
        for topic in self.options.topics:
            yield self.topic_request(topic)

    def topic_request(self, topic: int) -> Any:
        self.followed.add(topic)
        return self.request(self.url(f"/t/{topic}.json"), self.parse_api, path=f"/t/{topic}")

    def parse_api(
        self,
        response: Response,
        page: int,
        path: str,
        title: str | None = None,
        stop_at: int | None = None,
        before: int | None = None,
    ) -> Iterator[Any]:
        data = self.json(response)
        if not isinstance(data, dict):
            if data is not None:
                self.fail(f"{response.url}: unexpected JSON (not an object)")
            return
        if "topic_list" in data:
            yield from self.topic_list(data["topic_list"], page, path)
        elif "latest_posts" in data:
            yield from self.latest_posts(data["latest_posts"], page, path, stop_at, before)
        elif "post_stream" in data:
            yield from self.topic(data, title or data.get("title"))
        else:
            self.fail(f"{response.url}: not a Discourse topic list, topic or post list")

    # Listings ----------------------------------------------------------------------
    def topic_list(self, listing: dict[str, Any], page: int, path: str) -> Iterator[Any]:
        changed = 0
        for entry in listing.get("topics", []):
            known = self.topics.get(str(entry["id"]))
            if known and known["n"] >= entry.get("highest_post_number", 0):
                continue
            changed += 1
            if entry["id"] not in self.followed:
                yield self.topic_request(entry["id"])
        more = listing.get("more_topics_url")
        if more and changed and self.more_pages(page):
            parts = urlsplit(more)
            json_path = parts.path if parts.path.endswith(".json") else parts.path + ".json"
            yield self.request(
                self.url(json_path) + (f"?{parts.query}" if parts.query else ""),
                self.parse_api,
                page=page + 1,
                path=path,
            )

    def latest_posts(
        self,
        posts: list[dict[str, Any]],
        page: int,
        path: str,
        stop_at: int | None,
        before: int | None,
    ) -> Iterator[Any]:
        key = f"posts:{path}"
        newest_seen = int(self.cursor.get(key) or 0)
        stop_at = stop_at if stop_at is not None else max((p["id"] for p in posts), default=0)
        fresh = [p for p in posts if p["id"] > newest_seen]
        for post in fresh:
            item = self.item(post, post.get("topic_title"))
            if item is not None:
                yield item
        oldest = min((p["id"] for p in posts), default=0)
        goes_back = before is None or oldest < before  # a server ignoring `before` stops here
        if fresh and len(fresh) == len(posts) and goes_back and self.more_pages(page):
            # `before` is read as "this id and older": the oldest post comes back once.
            parts = urlsplit(self.url("/" + path.lstrip("/")))
            url = urlunsplit(parts._replace(query=urlencode({"before": oldest})))
            yield self.request(
                url, self.parse_api, page=page + 1, path=path, stop_at=stop_at, before=oldest
            )
        else:
            self.set_cursor(key, max(stop_at, newest_seen))

    # Topics ------------------------------------------------------------------------
    def topic(self, data: dict[str, Any], title: str | None) -> Iterator[Any]:
        stream_data = data["post_stream"]
        posts = stream_data.get("posts", [])
        for post in posts:
            item = self.item(post, title)
            if item is not None:
                yield item
        topic_id = int(data.get("id") or (posts[0]["topic_id"] if posts else 0))
        stream = stream_data.get("stream")
        if stream is None:  # a chunk of posts (post_ids[] or a recorded page)
            if topic_id in self.pending:
                self.pending[topic_id] -= 1
                self.done(topic_id, posts, data)
            return
        known = self.topics.get(str(topic_id)) or {}
        loaded = {p["id"] for p in posts}
        missing = [i for i in stream if i not in loaded and i > known.get("last", 0)]
        chunks = [missing[i : i + CHUNK] for i in range(0, len(missing), CHUNK)]
        self.pending[topic_id] = len(chunks)
        self.done(topic_id, posts, data)
        for chunk in chunks:
            query = urlencode([("post_ids[]", post_id) for post_id in chunk])
            yield self.request(
                self.url(f"/t/{topic_id}/posts.json") + f"?{query}",
                self.parse_api,
                path=f"/t/{topic_id}",
                title=title,
            )

    def done(self, topic_id: int, posts: list[dict[str, Any]], data: dict[str, Any]) -> None:
        """Fold a chunk into the topic's state; record it once every chunk arrived."""
        blank = {"n": 0, "last": 0, "at": ""}
        state = self.partial.setdefault(topic_id, dict(self.topics.get(str(topic_id)) or blank))
        state["n"] = max(state["n"], int(data.get("highest_post_number") or 0))
        for post in posts:
            state["n"] = max(state["n"], int(post["post_number"]))
            state["last"] = max(state["last"], int(post["id"]))
            state["at"] = max(state["at"], parse_datetime(post["created_at"]).isoformat())
        if self.pending.get(topic_id) == 0:
            self.topics[str(topic_id)] = self.partial.pop(topic_id)
            recent = sorted(self.topics.items(), key=lambda kv: kv[1]["at"], reverse=True)
            self.topics = dict(recent[:TOPICS_KEPT])
            self.set_cursor("topics", dict(self.topics))

    # Posts -------------------------------------------------------------------------
    def item(self, post: dict[str, Any], title: str | None) -> PostItem | None:
        if post.get("post_type") == SMALL_ACTION:
            return None
        topic, number = int(post["topic_id"]), int(post["post_number"])
        base = f"{self.host}/t/{topic}"
        reply_to = post.get("reply_to_post_number")
        likes = next(
            (a.get("count", 0) for a in post.get("actions_summary") or [] if a.get("id") == 2), 0
        )
        slug = post.get("topic_slug") or "-"
        return PostItem(
            platform=self.name,
            external_id=f"{base}/{number}",
            created_at=parse_datetime(post["created_at"]),
            url=f"{self.site}/t/{slug}/{topic}/{number}",
            html=post.get("cooked") or "",
            title=title,
            author_handle=post.get("username") or None,
            parent_id=None if number == 1 else f"{base}/{reply_to or 1}",
            thread_id=f"{base}/1",
            engagement={
                "likes": likes,
                "reads": post.get("reads", 0),
                "replies": post.get("reply_count", 0),
            },
        )
