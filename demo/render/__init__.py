"""The demo corpus in each platform's real response formats, at the paths its spider asks.

One module per platform, each a `Site` subclass: built from that platform's demo posts
and the server's base URL, it answers a `Request` with a `Reply` (or None: 404). The
server (demo/server.py) adds robots.txt and the HTTP plumbing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from cohesion.demo.corpus import DemoPost


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_parts(
        cls,
        method: str,
        path: str,
        query: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> Request:
        return cls(method, path, parse_qs(query, keep_blank_values=True), body, headers or {})

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def int_arg(self, name: str, default: int, low: int = 1, high: int = 100) -> int:
        value = self.arg(name)
        if value is None or not value.lstrip("-").isdigit():
            return default
        return max(low, min(high, int(value)))


@dataclass(slots=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return cls(
            status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, body
        )

    @classmethod
    def text(cls, text: str, content_type: str, status: int = 200) -> Reply:
        return cls(status, {"Content-Type": f"{content_type}; charset=utf-8"}, text.encode("utf-8"))


class Site:
    """One platform's site: override `route`."""

    platform = ""

    def __init__(self, posts: list[DemoPost], base_url: str) -> None:
        self.posts = sorted(posts, key=lambda p: p.created_at)
        self.base_url = base_url.rstrip("/")
        self.newest_first = list(reversed(self.posts))
        self._children: dict[int, list[DemoPost]] = {}
        for post in self.posts:
            if post.parent is not None:
                self._children.setdefault(id(post.parent), []).append(post)

    def route(self, request: Request) -> Reply | None:
        raise NotImplementedError

    def replies_to(self, post: DemoPost) -> list[DemoPost]:
        return self._children.get(id(post), [])


def iso_z(moment: datetime, millis: bool = True) -> str:
    """2026-11-20T14:03:11.000Z"""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".000Z" if millis else "Z")


def site_classes() -> dict[str, type[Site]]:
    """Platform name -> Site class (imported here so each module stays independent)."""
    from cohesion.demo.render.bluesky import BlueskySite
    from cohesion.demo.render.discourse import DiscourseSite
    from cohesion.demo.render.fourchan import FourchanSite
    from cohesion.demo.render.mastodon import MastodonSite
    from cohesion.demo.render.reddit import RedditSite
    from cohesion.demo.render.rss import RssSite
    from cohesion.demo.render.telegram import TelegramSite

    classes: list[type[Site]] = [
        RedditSite,
        MastodonSite,
        BlueskySite,
        TelegramSite,
        FourchanSite,
        RssSite,
        DiscourseSite,
    ]
    return {cls.platform: cls for cls in classes}
