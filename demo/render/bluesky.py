"""Bluesky XRPC: createSession, searchPosts (needs the session), getAuthorFeed.

Posts are app.bsky.feed.post records in post views keyed by at:// uris with TID record
keys; replies carry `reply.root`/`reply.parent`; paging uses an opaque cursor. Search
matches whole words, newest first (`sort=latest`), and refuses requests without the
session's bearer token, like the public AppView does.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from typing import Any

from cohesion.demo.corpus import DemoPost
from cohesion.demo.render import Reply, Request, Site, iso_z

ACCESS_JWT = "demo-bluesky-access-jwt"
_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"


def did_of(handle: str) -> str:
    digest = hashlib.sha256(handle.encode("utf-8")).digest()[:15]
    return "did:plc:" + base64.b32encode(digest).decode("ascii").lower()


def tid(post: DemoPost) -> str:
    """A record key in the TID format: microseconds and a clock id, base32-sortable."""
    number = (post.epoch * 1_000_000 << 10) | (post.seq % 1024)
    out = ""
    for _ in range(13):
        number, rest = divmod(number, 32)
        out = _B32_SORT[rest] + out
    return out


class BlueskySite(Site):
    platform = "bluesky"

    def uri(self, post: DemoPost) -> str:
        return f"at://{did_of(post.author or 'unknown')}/app.bsky.feed.post/{tid(post)}"

    def cid(self, post: DemoPost) -> str:
        digest = hashlib.sha256(self.uri(post).encode("utf-8")).digest()
        return "bafyrei" + base64.b32encode(digest).decode("ascii").lower().rstrip("=")[:52]

    def route(self, request: Request) -> Reply | None:
        if request.path == "/xrpc/com.atproto.server.createSession":
            if request.method != "POST":
                return Reply.json({"error": "InvalidRequest"}, status=400)
            return Reply.json(
                {
                    "accessJwt": ACCESS_JWT,
                    "refreshJwt": "demo-refresh",
                    "handle": "demo-analyst.bsky.social",
                    "did": did_of("demo-analyst.bsky.social"),
                    "active": True,
                }
            )
        if request.path == "/xrpc/app.bsky.feed.searchPosts":
            if request.headers.get("authorization") != f"Bearer {ACCESS_JWT}":
                return Reply.json(
                    {"error": "AuthMissing", "message": "Authentication Required"}, status=401
                )
            query = (request.arg("q") or "").strip()
            pattern = re.compile(rf"(?<!\w){re.escape(query)}(?!\w)", re.IGNORECASE)
            hits = [p for p in self.newest_first if query and pattern.search(p.text)]
            return self.page(hits, request, "posts", lambda p: self.view(p))
        if request.path == "/xrpc/app.bsky.feed.getAuthorFeed":
            actor = request.arg("actor") or ""
            hits = [
                p for p in self.newest_first if p.author and actor in (p.author, did_of(p.author))
            ]
            return self.page(hits, request, "feed", lambda p: {"post": self.view(p)})
        return None

    def page(self, hits: list[DemoPost], request: Request, key: str, shape: Any) -> Reply:
        limit = request.int_arg("limit", 25, 1, 100)
        cursor = request.arg("cursor") or "0"
        start = int(cursor) if cursor.isdigit() else 0
        chunk = hits[start : start + limit]
        body: dict[str, Any] = {key: [shape(p) for p in chunk]}
        if start + limit < len(hits):
            body["cursor"] = str(start + limit)
        if key == "posts":
            body["hitsTotal"] = len(hits)
        return Reply.json(body)

    def view(self, post: DemoPost) -> dict[str, Any]:
        handle = post.author or "unknown.bsky.social"
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "createdAt": iso_z(post.created_at),
            "langs": ["en"],
            "text": post.text,
        }
        if post.parent is not None:
            record["reply"] = {
                "root": {"uri": self.uri(post.thread), "cid": self.cid(post.thread)},
                "parent": {"uri": self.uri(post.parent), "cid": self.cid(post.parent)},
            }
        return {
            "uri": self.uri(post),
            "cid": self.cid(post),
            "author": {
                "did": did_of(handle),
                "handle": handle,
                "displayName": handle.split(".")[0],
                "labels": [],
                "createdAt": "2023-05-01T12:00:00.000Z",
            },
            "record": record,
            "replyCount": len(self.replies_to(post)),
            "repostCount": post.seq % 3,
            "likeCount": post.seq % 11,
            "quoteCount": 0,
            "indexedAt": iso_z(post.created_at + timedelta(seconds=2)),
            "labels": [],
        }
