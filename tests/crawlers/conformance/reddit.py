"""Reddit recordings: subreddit listings of posts (/r/SUB/new.json) and of comments
(/r/SUB/comments.json), and comment pages (an Atom feed goes to rss)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.crawlers.conformance import Expected, Plan
from tests.crawlers.mockserver import Reply

TOKEN = (
    "/api/v1/access_token",
    Reply.json({"access_token": "t", "token_type": "bearer", "expires_in": 3600}),
    "POST",
)
ENV = {"COHESION_REDDIT_CLIENT_ID": "id", "COHESION_REDDIT_CLIENT_SECRET": "secret"}


def _is_feed(meta: dict[str, Any]) -> bool:
    return "xml" in (meta.get("content_type") or "")


def plan(meta: dict[str, Any], body: bytes) -> Plan:
    if _is_feed(meta):  # Reddit's Atom feeds are feeds: the rss spider reads them
        from tests.crawlers.conformance import rss

        return rss.plan(meta, body)
    parts = urlsplit(meta["serve_path"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    segments = parts.path.strip("/").split("/")
    if segments[0] == "r":
        sub = segments[1]
        # /r/SUB/new.json lists posts, /r/SUB/comments.json the newest comments.
        listing = "comments" if segments[-1].startswith("comments") else "new"
        cursor = {}
        if "before" in query:
            cursor = {f"{listing}:{sub}": {"name": query["before"], "created": 0}}
        limit = min(int(query.get("limit", 100)), 100)
        return Plan(
            "reddit",
            {"subreddits": [sub], "comments": listing == "comments", "limit": limit},
            cursor=cursor,
            extra_routes=[TOKEN],
            env=ENV,
        )
    thread = segments[1].removesuffix(".json")
    return Plan(
        "reddit",
        {"threads": [thread], "comment_limit": int(query.get("limit", 500)), "expand_more": False},
        extra_routes=[TOKEN],
        env=ENV,
    )


def expected(meta: dict[str, Any], body: bytes) -> list[Expected]:
    if _is_feed(meta):
        from tests.crawlers.conformance import rss

        return rss.expected(meta, body)
    data = json.loads(body)
    listings = data if isinstance(data, list) else [data]
    found: list[Expected] = []

    def walk(children: list[dict[str, Any]]) -> None:
        for child in children:
            entry = child.get("data", {})
            if child.get("kind") == "t3":
                found.append(
                    Expected(
                        entry["name"],
                        bool(entry.get("selftext") or entry.get("title")),
                        entry.get("author") not in (None, "[deleted]"),
                    )
                )
            elif child.get("kind") == "t1":
                found.append(
                    Expected(
                        entry["name"],
                        bool(entry.get("body")),
                        entry.get("author") not in (None, "[deleted]"),
                    )
                )
                if isinstance(entry.get("replies"), dict):
                    walk(entry["replies"]["data"]["children"])

    for listing in listings:
        walk(listing["data"]["children"])
    return found
