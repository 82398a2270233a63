"""Discourse recordings: /posts.json, topic lists (/latest.json), a topic, a topic's posts
pages and posts.rss."""

from __future__ import annotations

import json
from typing import Any

from cohesion.crawlers.text import html_to_text

from tests.crawlers.conformance import Expected, Plan, rss


def _is_feed(meta: dict[str, Any]) -> bool:
    return "xml" in (meta.get("content_type") or "")


def plan(meta: dict[str, Any], body: bytes) -> Plan:
    if _is_feed(meta):  # posts.rss is a feed: the rss spider reads it
        return rss.plan(meta, body)
    path = meta["serve_path"]
    # Ids and permalinks are built on the forum's public root, not the loopback URL.
    options: dict[str, Any] = {"site_url": f"https://{meta['host']}"}
    if path.startswith("/t/") and path.endswith(".json") and path.count("/") == 2:
        topic = int(path.removeprefix("/t/").removesuffix(".json"))
        return Plan("discourse", {**options, "listings": [], "topics": [topic]})
    data = json.loads(body)
    # A topic list (/latest.json, a category) has no post bodies: each topic is read
    # from /t/<id>.json, which must be asked for.
    topics = (data.get("topic_list") or {}).get("topics") if isinstance(data, dict) else None
    follows = [f"/t/{topic['id']}.json" for topic in topics or []]
    return Plan("discourse", {**options, "listings": [path]}, follows=follows)


def expected(meta: dict[str, Any], body: bytes) -> list[Expected]:
    if _is_feed(meta):
        return rss.expected(meta, body)
    data = json.loads(body)
    if "topic_list" in data:
        return []  # no post bodies in a topic list; plan() lists the topics to follow
    posts = data.get("latest_posts") or (data.get("post_stream") or {}).get("posts") or []
    drop = ("aside.quote", "aside.onebox", ".lightbox-wrapper .meta")
    return [
        Expected(
            f"{meta['host']}/t/{post['topic_id']}/{post['post_number']}",
            bool(html_to_text(post.get("cooked"), drop)),
            bool(post.get("username")),
        )
        for post in posts
        if post.get("post_type") != 3
    ]
