"""4chan recordings: catalogs, a board index page, threads.json and threads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cohesion.crawlers.text import html_to_text

from tests.crawlers.conformance import Expected, Plan
from tests.crawlers.helpers import SHARED_FIXTURES


def plan(meta: dict[str, Any], body: bytes) -> Plan:
    board, *rest = meta["serve_path"].strip("/").split("/")
    if rest[0] == "thread":
        thread = int(rest[1].removesuffix(".json"))
        return Plan("fourchan", {"board": board, "listing": "none", "threads": [thread]})
    if rest[0] in ("catalog.json", "threads.json"):
        # Every board page of the listing; its threads are fetched (the recorded ones
        # are served by the same host, the others answer 404: pruned since).
        listing = rest[0].removesuffix(".json")
        return Plan(
            "fourchan", {"board": board, "listing": listing}, max_pages=len(json.loads(body))
        )
    return Plan("fourchan", {"board": board, "listing": "index"})  # /<board>/1.json


def _posts(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and "posts" in data:  # a thread
        return list(data["posts"])
    if isinstance(data, dict):  # a board index page
        return [post for thread in data["threads"] for post in thread["posts"]]
    return [
        post
        for page in data
        for thread in page["threads"]  # catalog or threads.json
        for post in ([thread, *thread.get("last_replies", [])] if "time" in thread else [])
    ]


def _listed_recorded_threads(meta: dict[str, Any], data: Any) -> list[dict[str, Any]]:
    """threads.json holds no posts: expect those of the listed threads that are recorded."""
    board = meta["serve_path"].strip("/").split("/")[0]
    listed = {thread["no"] for page in data for thread in page["threads"]}
    posts = []
    for meta_path in sorted((SHARED_FIXTURES / "4chan").glob("*.meta.json")):
        other = json.loads(meta_path.read_text())
        path = other["serve_path"]
        if other.get("host") == meta.get("host") and path.startswith(f"/{board}/thread/"):
            if int(path.rsplit("/", 1)[1].removesuffix(".json")) in listed:
                body = Path(meta_path.with_name(meta_path.name.removesuffix(".meta.json")))
                posts.extend(json.loads(body.read_bytes())["posts"])
    return posts


def expected(meta: dict[str, Any], body: bytes) -> list[Expected]:
    board = meta["serve_path"].strip("/").split("/")[0]
    data = json.loads(body)
    posts = _posts(data)
    if not posts and meta["serve_path"].endswith("/threads.json"):
        posts = _listed_recorded_threads(meta, data)
    found = []
    for post in posts:
        own_words = html_to_text(post.get("com"), ("a.quotelink", "span.deadlink"))
        author = post.get("trip") or post.get("id") or post.get("name") not in (None, "Anonymous")
        found.append(
            Expected(f"{board}/{post['no']}", bool(own_words or post.get("sub")), bool(author))
        )
    return found
