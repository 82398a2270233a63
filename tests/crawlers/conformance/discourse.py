"""Discourse recordings: /posts.json, a topic, a topic's posts pages and posts.rss."""

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
    return Plan("discourse", {**options, "listings": [path]})


def expected(meta: dict[str, Any], body: bytes) -> list[Expected]:
    if _is_feed(meta):
        return rss.expected(meta, body)
    data = json.loads(body)
    posts = data.get("latest_posts") or data["post_stream"]["posts"]
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
