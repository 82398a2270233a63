"""Reddit's OAuth API: token, `/r/SUB/new.json` (t3) and `/r/SUB/comments.json` (t1).

Listings are newest first and page with `after`/`before` fullnames; without
`raw_json=1` text fields come HTML-escaped, as Reddit sends them.
"""

from __future__ import annotations

import html
import re
from typing import Any

from cohesion.demo.corpus import DemoPost
from cohesion.demo.render import Reply, Request, Site

SUBREDDIT = "MarlowCounty"
SITE = "https://www.reddit.com"
TOKEN = "demo-reddit-token"
_LISTING = re.compile(rf"^/r/{SUBREDDIT}/(new|comments)\.json$", re.IGNORECASE)


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    text = "_".join(words)
    return text[:50].rstrip("_") or "post"


class RedditSite(Site):
    platform = "reddit"

    def thing_id(self, post: DemoPost) -> str:
        return base36(60_000_000 + post.seq * 7)

    def fullname(self, post: DemoPost) -> str:
        return ("t3_" if post.parent is None else "t1_") + self.thing_id(post)

    def route(self, request: Request) -> Reply | None:
        if request.path == "/api/v1/access_token" and request.method == "POST":
            return Reply.json(
                {"access_token": TOKEN, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
            )
        match = _LISTING.match(request.path)
        if match is None:
            return None
        if request.headers.get("authorization", "").lower() != f"bearer {TOKEN}":
            return Reply.json({"message": "Unauthorized", "error": 401}, status=401)
        submissions = match.group(1) == "new"
        things = [p for p in self.newest_first if (p.parent is None) == submissions]
        raw = request.arg("raw_json") == "1"
        return Reply.json(self.listing(things, request, raw))

    def listing(self, things: list[DemoPost], request: Request, raw: bool) -> dict[str, Any]:
        limit = request.int_arg("limit", 25, 1, 100)
        names = [self.fullname(p) for p in things]
        after, before = request.arg("after"), request.arg("before")
        if after in names:
            start = names.index(after) + 1
            page = things[start : start + limit]
        elif before in names:
            end = names.index(before)
            page = things[max(0, end - limit) : end]
        else:
            start = 0
            page = things[:limit]
        last = page[-1] if page else None
        more = last is not None and things.index(last) + 1 < len(things)
        children = [self.thing(p, raw) for p in page]
        return {
            "kind": "Listing",
            "data": {
                "after": self.fullname(last) if more and last else None,
                "dist": len(children),
                "modhash": "",
                "geo_filter": None,
                "children": children,
                "before": None,
            },
        }

    def thing(self, post: DemoPost, raw: bool) -> dict[str, Any]:
        esc = (lambda text: text) if raw else html.escape
        root = post.thread
        root_id = self.thing_id(root)
        link = f"/r/{SUBREDDIT}/comments/{root_id}/{slug(root.title or root.text)}/"
        common = {
            "subreddit": SUBREDDIT,
            "subreddit_name_prefixed": f"r/{SUBREDDIT}",
            "subreddit_id": "t5_demo1",
            "id": self.thing_id(post),
            "name": self.fullname(post),
            "author": post.author or "[deleted]",
            "created_utc": float(post.epoch),
            "created": float(post.epoch),
            "score": 1 + post.seq % 17,
            "ups": 1 + post.seq % 17,
            "stickied": False,
            "locked": False,
            "archived": False,
            "edited": False,
            "distinguished": None,
            "gilded": 0,
        }
        if post.parent is None:
            body = post.text
            data = {
                **common,
                "title": esc(post.title or ""),
                "selftext": esc(body),
                "selftext_html": html.escape(f'<div class="md"><p>{html.escape(body)}</p></div>'),
                "is_self": True,
                "domain": f"self.{SUBREDDIT}",
                "permalink": link,
                "url": SITE + link,
                "num_comments": len(self._all_replies(post)),
                "over_18": False,
                "link_flair_text": None,
                "thumbnail": "self",
            }
            return {"kind": "t3", "data": data}
        data = {
            **common,
            "body": esc(post.text),
            "body_html": html.escape(f'<div class="md"><p>{html.escape(post.text)}</p></div>'),
            "link_id": f"t3_{root_id}",
            "parent_id": self.fullname(post.parent),
            "permalink": f"{link}{self.thing_id(post)}/",
            "link_permalink": SITE + link,
            "link_title": esc(root.title or ""),
            "link_author": root.author or "[deleted]",
            "replies": "",
            "controversiality": 0,
            "is_submitter": post.author == root.author,
        }
        return {"kind": "t1", "data": data}

    def _all_replies(self, root: DemoPost) -> list[DemoPost]:
        return [p for p in self.posts if p.root is root]
