"""4chan's read-only JSON API for one board: threads.json, catalog.json, thread/N.json.

`com` is HTML (escaped text, `<br>` line breaks, `>>N` quote links to the post a reply
answers); posts without a tripcode are Anonymous; `time` is epoch seconds and
`last_modified` in the listings says when a thread last changed.
"""

from __future__ import annotations

import html
import re
from typing import Any
from zoneinfo import ZoneInfo

from cohesion.demo.corpus import DemoPost
from cohesion.demo.render import Reply, Request, Site

BOARD = "pol"
PER_PAGE = 10
EASTERN = ZoneInfo("America/New_York")
_THREAD = re.compile(rf"^/{BOARD}/thread/(\d+)\.json$")


class FourchanSite(Site):
    platform = "fourchan"

    def __init__(self, posts: list[DemoPost], base_url: str) -> None:
        super().__init__(posts, base_url)
        self.threads: dict[int, list[DemoPost]] = {}
        for post in self.posts:
            self.threads.setdefault(self.no(post.thread), []).append(post)

    def no(self, post: DemoPost) -> int:
        return 480_000_000 + post.seq

    def route(self, request: Request) -> Reply | None:
        if request.path == f"/{BOARD}/threads.json":
            return Reply.json(
                self.pages(
                    lambda no, posts: {
                        "no": no,
                        "last_modified": self.modified(posts),
                        "replies": len(posts) - 1,
                    }
                )
            )
        if request.path == f"/{BOARD}/catalog.json":
            return Reply.json(
                self.pages(
                    lambda no, posts: {
                        **self.post(posts[0]),
                        "last_modified": self.modified(posts),
                        "last_replies": [self.post(p) for p in posts[1:][-5:]],
                    }
                )
            )
        match = _THREAD.match(request.path)
        if match and int(match.group(1)) in self.threads:
            return Reply.json({"posts": [self.post(p) for p in self.threads[int(match.group(1))]]})
        if match:
            return Reply(404, {"Content-Type": "text/html"}, b"<h1>404 Not Found</h1>")
        return None

    def modified(self, posts: list[DemoPost]) -> int:
        return max(p.epoch for p in posts)

    def pages(self, shape: Any) -> list[dict[str, Any]]:
        bumped = sorted(self.threads.items(), key=lambda kv: self.modified(kv[1]), reverse=True)
        return [
            {
                "page": index // PER_PAGE + 1,
                "threads": [shape(no, posts) for no, posts in bumped[index : index + PER_PAGE]],
            }
            for index in range(0, len(bumped), PER_PAGE)
        ]

    def com(self, post: DemoPost) -> str:
        text = html.escape(post.text, quote=True).replace("&#x27;", "&#039;")
        text = text.replace("\n", "<br>")
        parent = post.parent
        if parent is not None and parent is not post.thread:
            number = self.no(parent)
            text = f'<a href="#p{number}" class="quotelink">&gt;&gt;{number}</a><br>' + text
        return text

    def post(self, post: DemoPost) -> dict[str, Any]:
        local = post.created_at.astimezone(EASTERN)
        data: dict[str, Any] = {
            "no": self.no(post),
            "now": local.strftime("%m/%d/%y(%a)%H:%M:%S"),
            "name": "Anonymous",
            "com": self.com(post),
            "time": post.epoch,
            "resto": 0 if post.parent is None else self.no(post.thread),
        }
        if post.author and post.author.startswith("!"):
            data["trip"] = post.author
        if post.parent is None:
            replies = len(self.threads[self.no(post)]) - 1
            data.update(
                sub=html.escape(post.title or ""),
                replies=replies,
                images=0,
                unique_ips=max(1, replies // 2 + 1),
                bumplimit=0,
                imagelimit=0,
                semantic_url=re.sub(r"[^a-z0-9]+", "-", (post.title or "").lower()).strip("-"),
            )
        return data
