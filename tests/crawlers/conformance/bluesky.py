"""Bluesky recordings: author feed, custom feed, threads, search (with a session)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.crawlers.conformance import Expected, Plan
from tests.crawlers.mockserver import Reply

SESSION = (
    "/xrpc/com.atproto.server.createSession",
    Reply.json({"accessJwt": "jwt", "refreshJwt": "r", "did": "did:plc:x", "handle": "x"}),
    "POST",
)
ENV = {"COHESION_BLUESKY_HANDLE": "analyst.example.org", "COHESION_BLUESKY_APP_PASSWORD": "app"}


def plan(meta: dict[str, Any], body: bytes) -> Plan:
    parts = urlsplit(meta["serve_path"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    method = parts.path.rsplit("/", 1)[-1]
    if method == "app.bsky.feed.getAuthorFeed":
        return Plan("bluesky", {"authors": [query["actor"]]})
    if method == "app.bsky.feed.getFeed":
        return Plan("bluesky", {"feeds": [query["feed"]]})
    if method == "app.bsky.feed.getPostThread":
        return Plan("bluesky", {"threads": [query["uri"]]})
    if method == "app.bsky.feed.searchPosts":
        return Plan("bluesky", {"search": [query["q"]]}, extra_routes=[SESSION], env=ENV)
    raise ValueError(f"no bluesky plan for {meta['serve_path']}")


def expected(meta: dict[str, Any], body: bytes) -> list[Expected]:
    data = json.loads(body)
    posts: list[dict[str, Any]] = []
    if "thread" in data:
        stack = [data["thread"]]
        while stack:
            node = stack.pop()
            if isinstance(node, dict) and "post" in node:
                posts.append(node["post"])
                stack.extend(node.get("replies") or [])
                if node.get("parent"):
                    stack.append(node["parent"])
    else:
        posts = [entry.get("post", entry) for entry in data.get("feed", data.get("posts", []))]
    return [
        Expected(p["uri"], bool((p.get("record") or {}).get("text")), bool(p.get("author")))
        for p in posts
    ]
