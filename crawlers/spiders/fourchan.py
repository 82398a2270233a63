"""4chan: the threads of one board, through the read-only JSON API (a.4cdn.org).

What is collected: every post (opening post and replies) of the board's threads, from
the listing chosen by `listing` (default `threads`: `/<board>/threads.json`, then each
changed thread's `/<board>/thread/<no>.json`; `catalog` and `index` also store the
posts the listing itself carries: opening posts and the latest replies), plus the
threads named in `threads`. `max_pages` is the number of board pages looked at.

Text: `com` is HTML; quote links (`>>123`, cross-board links) are dropped because they
point at other posts, greentext lines are kept because they are the poster's own
words, `<wbr>` disappears. A post with no words of its own in `com` (image-only, or
only quote links) has its subject as text when it has one, else empty text. Authors: the tripcode when there
is one (the only stable identity on 4chan), else a chosen name other than
"Anonymous", else the per-thread poster ID of boards that show one, else none.

Locality (require_local defaults to true: a board is a broad source): every post
carries its thread's title (the opening post's subject, else the start of its
comment, as 4chan titles a thread), and the locality pipeline matches title and text.
So a post is kept when it names a place itself or belongs to a thread whose title
does; a reply naming a place in any other thread is kept on its own.

Incrementality: 4chan has no cursor. The source cursor keeps, per board, each listed
thread's `last_modified`; a thread is fetched again only when the listing shows a
newer one (threads gone from the listing are forgotten). A thread's state is updated
only after the thread was fetched, so a failed fetch is retried next run. 4chan asks
for at most one request per second: the spider enforces DOWNLOAD_DELAY >= 1 s and one
request at a time (the Scrapy setting FOURCHAN_MIN_DELAY lowers the floor for tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from cohesion.crawlers.items import PostItem
from cohesion.crawlers.spiders.base import CohesionSpider, SourceOptions, from_epoch
from cohesion.crawlers.text import html_to_text
from pydantic import Field
from scrapy.http import Response
from scrapy.settings import BaseSettings

QUOTE_TARGET = re.compile(r'class="quotelink"[^>]*>&gt;&gt;(\d+)<|href="[^"]*#p(\d+)"')
TITLE_CHARS = 100


class FourchanOptions(SourceOptions):
    board: str = Field(..., pattern=r"^[a-z0-9]{1,10}$", description="Board name, e.g. 'pol'")
    listing: Literal["threads", "catalog", "index", "none"] = Field(
        "threads",
        description="threads: threads.json then changed threads; catalog: catalog.json "
        "(opening posts and latest replies) then changed threads; index: pages "
        "1..max_pages of the board index; none: only the `threads` below",
    )
    threads: list[int] = Field(default_factory=list, description="Thread numbers always fetched")
    site_url: str = Field("https://boards.4chan.org", description="Root of the permalinks")


class FourchanSpider(CohesionSpider):
    name = "fourchan"
    default_base_url = "https://a.4cdn.org"
    Options = FourchanOptions
    drop_selectors = ("a.quotelink", "span.deadlink")
    options: FourchanOptions

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        floor = settings.getfloat("FOURCHAN_MIN_DELAY", 1.0)
        delay = max(floor, settings.getfloat("DOWNLOAD_DELAY", 0.0))
        settings.set("DOWNLOAD_DELAY", delay, priority="spider")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 1, priority="spider")
        settings.set("RANDOMIZE_DOWNLOAD_DELAY", False, priority="spider")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.board = self.options.board
        self.seen: dict[str, int] = dict(self.cursor.get(self.board) or {})
        self.state: dict[str, int] = {}  # becomes the board's cursor
        self.requested: set[int] = set()

    async def start(self) -> Any:
        listing = self.options.listing
        if listing == "index":
            yield self.request(self.url(f"/{self.board}/1.json"), self.parse_listing, page=1)
        elif listing != "none":
            yield self.request(self.url(f"/{self.board}/{listing}.json"), self.parse_listing)
        for no in self.options.threads:
            for request in self.thread_request(no, None):
                yield request

    def thread_request(self, no: int, modified: int | None) -> Iterator[Any]:
        if no in self.requested:
            return
        self.requested.add(no)
        # A 404 means the thread was pruned or archived since the listing: not an error.
        yield self.request(
            self.url(f"/{self.board}/thread/{no}.json"),
            self.parse_thread,
            meta={"handle_httpstatus_list": [404]},
            no=no,
            modified=modified,
        )

    def parse_listing(self, response: Response, page: int) -> Iterator[Any]:
        data = self.json(response)
        if data is None:
            return
        # (thread number, posts the listing carries, last_modified when it says)
        entries: list[tuple[int, list[dict[str, Any]], int | None]]
        if self.options.listing == "index":
            entries = [(t["posts"][0]["no"], t["posts"], None) for t in data.get("threads", [])]
            if entries and self.more_pages(page):
                url = self.url(f"/{self.board}/{page + 1}.json")
                yield self.request(url, self.parse_listing, page=page + 1)
        else:
            entries = [
                (
                    t["no"],
                    [t, *t.get("last_replies", [])] if "time" in t else [],
                    t.get("last_modified"),
                )
                for board_page in data[: self.max_pages]
                for t in board_page.get("threads", [])
            ]
        for no, posts, listed in entries:
            modified = listed or max((int(p.get("time", 0)) for p in posts), default=None)
            known = self.seen.get(str(no))
            if modified is not None and known is not None and modified <= known:
                self.remember(no, known)  # unchanged since the last run
                continue
            if posts:
                yield from self.items(no, posts)
            yield from self.thread_request(no, modified)

    def parse_thread(
        self, response: Response, page: int, no: int, modified: int | None
    ) -> Iterator[PostItem]:
        if response.status == 404:
            self.logger.info("thread %s/%s is gone (404)", self.board, no)
            return
        data = self.json(response)
        if data is None or not data.get("posts"):
            return
        posts = data["posts"]
        yield from self.items(no, posts)
        self.remember(no, modified or max(int(p.get("time", 0)) for p in posts))

    def remember(self, no: int, modified: int) -> None:
        self.state[str(no)] = int(modified)
        self.set_cursor(self.board, self.state)

    # Posts -------------------------------------------------------------------------
    def items(self, thread: int, posts: list[dict[str, Any]]) -> Iterator[PostItem]:
        op = posts[0] if posts[0].get("resto", 0) == 0 else None
        title = self.thread_title(op) if op else None
        for post in posts:
            if "no" in post and "time" in post:
                yield self.item(thread, post, title)

    def thread_title(self, op: dict[str, Any]) -> str | None:
        subject = html_to_text(op.get("sub"))
        if subject:
            return subject
        text = html_to_text(op.get("com"), self.drop_selectors).replace("\n", " ")
        if len(text) > TITLE_CHARS:
            text = text[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"
        return text or None

    def item(self, thread: int, post: dict[str, Any], title: str | None) -> PostItem:
        board, no = self.board, int(post["no"])
        # A comment of quote links only (">>123 >>124") has no words of its own.
        text = html_to_text(post.get("com"), self.drop_selectors) or html_to_text(post.get("sub"))
        engagement: dict[str, Any] = {
            k: post[k] for k in ("replies", "images", "unique_ips") if k in post
        }
        return PostItem(
            platform=self.name,
            external_id=f"{board}/{no}",
            created_at=from_epoch(post["time"]),
            url=f"{self.options.site_url.rstrip('/')}/{board}/thread/{thread}#p{no}",
            text=text,
            title=title,
            author_handle=self.author(thread, post),
            parent_id=None if no == thread else f"{board}/{self.reply_to(post) or thread}",
            thread_id=f"{board}/{thread}",
            engagement=engagement,
        )

    def author(self, thread: int, post: dict[str, Any]) -> str | None:
        if post.get("trip"):
            return str(post["trip"])
        name = html_to_text(post.get("name"))
        if name and name != "Anonymous":
            return name
        if post.get("id"):
            return f"{self.board}/{thread}/ID:{post['id']}"
        return None

    @staticmethod
    def reply_to(post: dict[str, Any]) -> str | None:
        match = QUOTE_TARGET.search(post.get("com") or "")
        return (match.group(1) or match.group(2)) if match else None
