"""RSS 2.0 and Atom feeds, with their comment feeds.

What is collected: every item of each configured feed (`feeds`: absolute URLs, or
paths on `base_url`), and with `follow_comments` the items of each item's comment
feed (`wfw:commentRss`, as WordPress and others publish), stored with the item as
parent and thread. Feeds are parsed with feedparser from the body Scrapy fetched
(feedparser never touches the network here). A feed that pages (RFC 5005
`<link rel="next">`) is followed for up to `max_pages` pages.

Per item: the id is the guid/Atom id (a bare token such as `23246627` is prefixed with
the site's host, because only URIs are unique across feeds), else the link; the text
is `content:encoded`/Atom content, else the description/summary (HTML is cleaned by
the pipeline, Discourse's quotes of other posts dropped), else the title; the time is
the published time, else the updated time, in UTC (RFC 822 and RFC 3339 alike); the
author is the name given (`dc:creator`, `<author>`, Atom author), pseudonymised by
the pipeline. An item with no time at all is skipped with a warning: the store and
the weekly report need when a post was written, and a crawl time would be made up.

Incrementality: the cursor keeps, per feed, the newest item time and the ids seen in
the last run. Items seen before, or older than that newest time, are skipped, and
paging stops at a page with nothing new. Comment feeds of the items on the pages
read are fetched on each run (comments keep coming after an item is published); the
store ignores the comments it already has.

A feed is usually a local outlet, so require_local defaults to false.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from cohesion.crawlers.items import PostItem
from cohesion.crawlers.spiders.base import CohesionSpider, SourceOptions
from cohesion.crawlers.text import html_to_text
from pydantic import Field
from scrapy.http import Response

SEEN_IDS_KEPT = 500
RSS_AUTHOR = re.compile(r"^[^\s@()]+@[^\s()]+\s*\((?P<name>[^()]+)\)$")


class RssOptions(SourceOptions):
    feeds: list[str] = Field(
        ..., min_length=1, description="Feed URLs, or paths relative to base_url"
    )
    follow_comments: bool = Field(False, description="Also read each item's comment feed")


def entry_time(entry: Any) -> datetime | None:
    parsed: time.struct_time | None = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC) if parsed else None


def entry_author(entry: Any) -> str | None:
    # RSS <author> is "email (Name)", which feedparser 6 splits wrongly: take the name.
    raw = (entry.get("author") or "").strip()
    match = RSS_AUTHOR.match(raw)
    if match:
        return match.group("name").strip()
    return (entry.get("author_detail") or {}).get("name") or raw or None


class RssSpider(CohesionSpider):
    name = "rss"
    Options = RssOptions
    drop_selectors = ("aside.quote",)  # Discourse feeds quote other posts this way
    options: RssOptions

    def local_by_default(self) -> bool:
        return True

    async def start(self) -> Any:
        for feed in self.options.feeds:
            if feed.startswith(("http://", "https://")):
                url = feed
            elif self.base_url:
                url = self.url("/" + feed.lstrip("/"))
            else:
                self.fail(f"feed {feed!r} is a path but the source has no base_url")
                continue
            yield self.request(url, self.parse_feed, feed=feed, seen=[], newest=None)

    def follow(self, url: str) -> str:
        """A URL read from a feed, kept on base_url when the source sets one."""
        return self.rebase(url) if self.source.base_url else url

    def read(self, response: Response) -> Any:
        self.count_page()
        # No base URL given: feedparser would resolve relative ids against it, and an id
        # must not depend on where the feed was fetched. Relative links are joined below.
        parsed = feedparser.parse(response.body)
        if not parsed.get("version") and not parsed.entries:
            reason = parsed.get("bozo_exception") or "no RSS or Atom feed"
            self.fail(f"{response.url}: not a feed ({str(reason)[:120]})")
            return None
        return parsed

    def parse_feed(
        self, response: Response, page: int, feed: str, seen: list[str], newest: str | None
    ) -> Iterator[Any]:
        parsed = self.read(response)
        if parsed is None:
            return
        state = self.cursor.get(feed) or {}
        old_ids = set(state.get("ids", []))
        old_newest = datetime.fromisoformat(state["newest"]) if state.get("newest") else None
        site = urlsplit(parsed.feed.get("link") or response.url).netloc
        fresh = 0
        for entry in parsed.entries:
            item = self.item(entry, site, response.url)
            if item is None:
                continue
            seen.append(item.external_id)
            stamp = item.created_at.isoformat()
            newest = max(newest, stamp) if newest else stamp
            comments = entry.get("wfw_commentrss")
            if self.options.follow_comments and comments:
                comments_url = self.follow(urljoin(response.url, comments))
                yield self.request(comments_url, self.parse_comments, parent=item.external_id)
            if item.external_id in old_ids or (old_newest and item.created_at < old_newest):
                continue
            fresh += 1
            yield item
        next_url = next(
            (
                link.get("href")
                for link in parsed.feed.get("links", [])
                if link.get("rel") == "next" and link.get("href")
            ),
            None,
        )
        if next_url and fresh and self.more_pages(page):
            yield self.request(
                self.follow(urljoin(response.url, next_url)),
                self.parse_feed,
                page=page + 1,
                feed=feed,
                seen=seen,
                newest=newest,
            )
            return
        if newest is None and old_newest is not None:
            newest = old_newest.isoformat()
        self.set_cursor(feed, {"newest": newest, "ids": seen[:SEEN_IDS_KEPT]})

    def parse_comments(self, response: Response, page: int, parent: str) -> Iterator[PostItem]:
        parsed = self.read(response)
        if parsed is None:
            return
        site = urlsplit(parsed.feed.get("link") or response.url).netloc
        for entry in parsed.entries:
            item = self.item(entry, site, response.url)
            if item is not None:
                item.parent_id = item.thread_id = parent
                yield item

    def item(self, entry: Any, site: str, feed_url: str) -> PostItem | None:
        guid = (entry.get("id") or "").strip()
        raw_link = (entry.get("link") or "").strip()
        link = urljoin(feed_url, raw_link) if raw_link else ""
        if guid and ":" not in guid:
            guid = f"{site}:{guid}"
        external_id = guid or link
        created = entry_time(entry)
        if not external_id or created is None:
            self.logger.warning(
                "skipping a feed item without %s: %s",
                "an id or link" if not external_id else "a date",
                external_id or entry.get("title", "")[:80],
            )
            return None
        title = entry.get("title") or None
        body = next(iter(entry.get("content") or []), None) or entry.get("summary_detail")
        value = (body or {}).get("value") or ""
        if body and any(kind in (body.get("type") or "html") for kind in ("html", "xml")):
            value = html_to_text(value, self.drop_selectors)
        author = entry_author(entry)
        engagement = {}
        if str(entry.get("slash_comments", "")).isdigit():
            engagement["comments"] = int(entry["slash_comments"])
        return PostItem(
            platform=self.name,
            external_id=external_id,
            created_at=created,
            url=link or (guid if guid.startswith("http") else None),
            text=value.strip() or title or "",
            title=title,
            author_handle=author or None,
            engagement=engagement,
        )
