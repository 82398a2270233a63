"""Discourse: /latest.json, /t/ID.json, /t/ID/posts.json?post_ids[]=... and /posts.json.

Topic lists carry no post bodies and page through `more_topics_url`; a topic carries at
most its first 20 posts while `post_stream.stream` lists every post id; `cooked` is
rendered HTML; `avatar_template` holds `{size}`; /posts.json pages with `?before=`.
"""

from __future__ import annotations

import html
import re
from typing import Any

from cohesion.demo.corpus import DemoPost
from cohesion.demo.render import Reply, Request, Site, iso_z

PER_PAGE = 30
CHUNK = 20
_TOPIC = re.compile(r"^/t/(\d+)(?:/posts)?\.json$")


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "topic"


class DiscourseSite(Site):
    platform = "discourse"

    def __init__(self, posts: list[DemoPost], base_url: str) -> None:
        super().__init__(posts, base_url)
        self.topics: dict[int, list[DemoPost]] = {}
        self.number: dict[int, int] = {}  # id(post) -> post number in its topic
        for post in self.posts:
            thread = self.topics.setdefault(self.topic_id(post.thread), [])
            thread.append(post)
            self.number[id(post)] = len(thread)

    def topic_id(self, root: DemoPost) -> int:
        return 1000 + root.seq

    def post_id(self, post: DemoPost) -> int:
        return 5000 + post.seq

    def route(self, request: Request) -> Reply | None:
        if request.path == "/latest.json":
            return Reply.json(self.latest(request.int_arg("page", 0, 0, 10_000)))
        if request.path == "/posts.json":
            return Reply.json(self.latest_posts(request.arg("before")))
        match = _TOPIC.match(request.path)
        if match is None or int(match.group(1)) not in self.topics:
            return (
                Reply.json(
                    {
                        "errors": ["The requested URL or resource could not be found."],
                        "error_type": "not_found",
                    },
                    status=404,
                )
                if match
                else None
            )
        posts = self.topics[int(match.group(1))]
        if request.path.endswith("/posts.json"):
            wanted = {int(v) for v in request.query.get("post_ids[]", []) if v.isdigit()}
            chunk = [p for p in posts if self.post_id(p) in wanted]
            return Reply.json(
                {"post_stream": {"posts": [self.post(p) for p in chunk]}, "id": int(match.group(1))}
            )
        return Reply.json(self.topic(posts))

    def summary(self, posts: list[DemoPost]) -> dict[str, Any]:
        root, last = posts[0], posts[-1]
        return {
            "id": self.topic_id(root),
            "title": root.title or "",
            "fancy_title": html.escape(root.title or ""),
            "slug": slug(root.title or ""),
            "posts_count": len(posts),
            "reply_count": len(posts) - 1,
            "highest_post_number": len(posts),
            "created_at": iso_z(root.created_at),
            "last_posted_at": iso_z(last.created_at),
            "bumped": True,
            "bumped_at": iso_z(last.created_at),
            "archetype": "regular",
            "unseen": False,
            "pinned": False,
            "visible": True,
            "closed": False,
            "archived": False,
            "views": 10 + 7 * len(posts),
            "like_count": root.seq % 5,
            "category_id": 4,
            "last_poster_username": last.author,
        }

    def latest(self, page: int) -> dict[str, Any]:
        bumped = sorted(self.topics.values(), key=lambda ps: ps[-1].created_at, reverse=True)
        chunk = bumped[page * PER_PAGE : (page + 1) * PER_PAGE]
        topic_list: dict[str, Any] = {
            "can_create_topic": False,
            "per_page": PER_PAGE,
            "topics": [self.summary(ps) for ps in chunk],
        }
        if (page + 1) * PER_PAGE < len(bumped):
            topic_list["more_topics_url"] = f"/latest?no_definitions=true&page={page + 1}"
        users = sorted({p.author for ps in chunk for p in ps if p.author})
        return {
            "users": [self.user(name) for name in users],
            "primary_groups": [],
            "topic_list": topic_list,
        }

    def latest_posts(self, before: str | None) -> dict[str, Any]:
        posts = self.newest_first
        if before and before.isdigit():
            posts = [p for p in posts if self.post_id(p) <= int(before)]
        return {
            "latest_posts": [
                {**self.post(p), "topic_title": p.thread.title or ""} for p in posts[:CHUNK]
            ]
        }

    def topic(self, posts: list[DemoPost]) -> dict[str, Any]:
        return {
            **self.summary(posts),
            "post_stream": {
                "posts": [self.post(p) for p in posts[:CHUNK]],
                "stream": [self.post_id(p) for p in posts],
            },
            "details": {"created_by": self.user(posts[0].author or "system")},
        }

    def user(self, name: str) -> dict[str, Any]:
        return {
            "id": sum(map(ord, name)),
            "username": name,
            "name": name,
            "avatar_template": f"/user_avatar/forum.quilllake.example/{name}/{{size}}/1_2.png",
        }

    def post(self, post: DemoPost) -> dict[str, Any]:
        root = post.thread
        parent = post.parent
        cooked = "\n".join(f"<p>{html.escape(line)}</p>" for line in post.text.split("\n"))
        name = post.author or "system"
        return {
            "id": self.post_id(post),
            "name": name,
            "username": name,
            "avatar_template": self.user(name)["avatar_template"],
            "created_at": iso_z(post.created_at),
            "updated_at": iso_z(post.created_at),
            "cooked": cooked,
            "post_number": self.number[id(post)],
            "post_type": 1,
            "reply_count": len(self.replies_to(post)),
            "reply_to_post_number": self.number[id(parent)]
            if parent is not None and parent is not root
            else None,
            "reads": 3 + post.seq % 20,
            "topic_id": self.topic_id(root),
            "topic_slug": slug(root.title or ""),
            "user_id": sum(map(ord, name)),
            "actions_summary": [{"id": 2, "count": post.seq % 4}] if post.seq % 4 else [],
            "yours": False,
            "hidden": False,
            "deleted_at": None,
        }
