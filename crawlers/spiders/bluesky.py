"""Bluesky: post search (app-password session), author feeds, custom feeds, threads.

What is collected: posts matching the configured searches, the posts, replies, reposts
and pinned post of configured accounts, of configured feed generators, and whole threads. Author feeds,
feeds and threads are public on the AppView (`base_url`, default
public.api.bsky.app); search is refused there without a session, so searches log in
with an app password (COHESION_BLUESKY_HANDLE / COHESION_BLUESKY_APP_PASSWORD,
com.atproto.server.createSession) at `session_url` (default bsky.social, or base_url
when base_url is set). Posts are keyed on their at:// uri; the permalink is built from
it. Authors are pseudonymised by DID, which survives handle changes. The opaque
cursor pages a listing; the incremental cursor is the newest indexedAt per listing,
and paging stops at it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from cohesion.crawlers.items import PostItem
from cohesion.crawlers.spiders.base import CohesionSpider, SourceOptions, parse_datetime
from pydantic import Field
from scrapy.http import Response

HANDLE_ENV, PASSWORD_ENV = "COHESION_BLUESKY_HANDLE", "COHESION_BLUESKY_APP_PASSWORD"
DEFAULT_SESSION_URL = "https://bsky.social"


class BlueskyOptions(SourceOptions):
    search: list[str] = Field(default_factory=list, description="Search queries (need a session)")
    authors: list[str] = Field(default_factory=list, description="Handles or DIDs of accounts")
    feeds: list[str] = Field(default_factory=list, description="at:// uris of feed generators")
    threads: list[str] = Field(
        default_factory=list, description="at:// uris of posts whose thread to collect"
    )
    limit: int = Field(100, ge=1, le=100, description="Posts per page (API maximum 100)")
    session_url: str | None = Field(
        None, description="Where to log in and search; default bsky.social, or base_url when set"
    )


def permalink(uri: str, author: dict[str, Any]) -> str:
    """https://bsky.app/profile/<handle or did>/post/<rkey> from at://did/collection/rkey."""
    did, _collection, rkey = uri.removeprefix("at://").split("/", 2)
    handle = author.get("handle")
    who = handle if handle and handle != "handle.invalid" else author.get("did", did)
    return f"https://bsky.app/profile/{who}/post/{rkey}"


def expand_links(text: str, facets: list[dict[str, Any]] | None) -> str:
    """Replace shortened link text ("example.com/lo...") by the facet's full URL.

    Facet offsets count UTF-8 bytes, not characters; a facet whose range does not fall
    on character boundaries is left alone.
    """
    data = text.encode("utf-8")
    links = []
    for facet in facets or []:
        index = facet.get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        uri = next(
            (
                f.get("uri")
                for f in facet.get("features", [])
                if str(f.get("$type", "")).endswith("#link") and f.get("uri")
            ),
            None,
        )
        if (
            uri
            and isinstance(start, int)
            and isinstance(end, int)
            and 0 <= start < end <= len(data)
        ):
            links.append((start, end, uri))
    for start, end, uri in sorted(links, reverse=True):
        try:
            shown = data[start:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if shown.rstrip(".…") in uri and shown != uri:
            data = data[:start] + uri.encode("utf-8") + data[end:]
    return data.decode("utf-8")


class BlueskySpider(CohesionSpider):
    name = "bluesky"
    default_base_url = "https://public.api.bsky.app"
    Options = BlueskyOptions

    @classmethod
    def required_credentials(cls, options: Any) -> tuple[str, ...]:
        return (HANDLE_ENV, PASSWORD_ENV) if options.search else ()

    def local_by_default(self) -> bool:
        return not self.options.search  # searches are broad; chosen accounts are local

    @property
    def session_url(self) -> str:
        url = self.options.session_url or (
            DEFAULT_SESSION_URL if self.base_url_is_default else self.base_url
        )
        return url.rstrip("/")

    def first_requests(self) -> Iterator[Any]:
        opts = self.options
        for actor in opts.authors:
            # Replies are where threats and pile-ons are: asked for by name, though it
            # is the API's default, so the request says what it collects.
            yield self.listing(
                f"author:{actor}",
                self.base_url,
                "app.bsky.feed.getAuthorFeed",
                actor=actor,
                filter="posts_with_replies",
            )
        for feed in opts.feeds:
            yield self.listing(f"feed:{feed}", self.base_url, "app.bsky.feed.getFeed", feed=feed)
        for uri in opts.threads:
            yield self.request(
                self.url("/xrpc/app.bsky.feed.getPostThread", uri=uri), self.parse_thread
            )
        if opts.search:
            body = json.dumps(
                {"identifier": self.env(HANDLE_ENV), "password": self.env(PASSWORD_ENV)}
            )
            yield self.request(
                f"{self.session_url}/xrpc/com.atproto.server.createSession",
                self.parse_session,
                method="POST",
                body=body,
                headers={"Content-Type": "application/json"},
            )

    def parse_session(self, response: Response, page: int) -> Iterator[Any]:
        self.context.counts.pages -= 1  # a login is not a page of posts
        data = self.json(response)
        if not isinstance(data, dict) or not data.get("accessJwt"):
            self.fail(f"{response.url}: the session was refused (check the app password)")
            return
        auth = {"Authorization": f"Bearer {data['accessJwt']}"}
        for query in self.options.search:
            yield self.listing(
                f"search:{query}",
                self.session_url,
                "app.bsky.feed.searchPosts",
                headers=auth,
                q=query,
                sort="latest",
            )

    def listing(
        self, key: str, root: str, xrpc: str, headers: dict[str, str] | None = None, **params: Any
    ) -> Any:
        url = self._xrpc(root, xrpc, params, None)
        return self.request(
            url,
            self.parse_listing,
            headers=headers or {},
            key=key,
            root=root,
            xrpc=xrpc,
            params=params,
            auth=headers or {},
            newest=None,
        )

    def _xrpc(self, root: str, xrpc: str, params: dict[str, Any], cursor: str | None) -> str:
        query = urlencode(
            {**params, "limit": self.options.limit, "cursor": cursor}
            if cursor
            else {**params, "limit": self.options.limit}
        )
        return f"{root}/xrpc/{xrpc}?{query}"

    def parse_listing(
        self,
        response: Response,
        page: int,
        key: str,
        root: str,
        xrpc: str,
        params: dict[str, Any],
        auth: dict[str, str],
        newest: str | None,
    ) -> Iterator[Any]:
        data = self.json(response)
        if data is None:
            return
        entries = data.get("feed", data.get("posts")) if isinstance(data, dict) else None
        if not isinstance(entries, list):
            self.fail(f"{response.url}: expected a feed or posts list")
            return
        stop = parse_datetime(self.cursor[key]) if key in self.cursor else None
        reached = False
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            post = entry.get("post", entry)
            reason = entry.get("reason") or {}
            if str(reason.get("$type", "")).endswith("#reasonPin"):
                # A pinned post heads an author feed whatever its age: it says nothing
                # about where the new posts end, so it neither stops paging nor moves
                # the cursor.
                item = self.item(post)
                if item is not None:
                    yield item
                continue
            # A repost is new when it was reposted (reason.indexedAt), not when written.
            when = reason.get("indexedAt") or post.get("indexedAt")
            moment = parse_datetime(when) if when else None
            if moment is not None and stop is not None and moment <= stop:
                reached = True
                continue
            if moment is not None and (newest is None or moment > parse_datetime(newest)):
                newest = _iso(moment)
            item = self.item(post)
            if item is not None:
                yield item
        cursor = data.get("cursor")
        if entries and cursor and not reached and self.more_pages(page):
            yield self.request(
                self._xrpc(root, xrpc, params, cursor),
                self.parse_listing,
                page=page + 1,
                headers=auth,
                key=key,
                root=root,
                xrpc=xrpc,
                params=params,
                auth=auth,
                newest=newest,
            )
        elif newest is not None:
            self.set_cursor(key, newest)

    def parse_thread(self, response: Response, page: int) -> Iterator[PostItem]:
        data = self.json(response)
        if not isinstance(data, dict) or not isinstance(data.get("thread"), dict):
            if data is not None:
                self.fail(f"{response.url}: expected a thread")
            return
        stack = [data["thread"]]
        while stack:
            node = stack.pop()
            if not isinstance(node, dict) or "post" not in node:
                continue  # notFoundPost, blockedPost
            item = self.item(node["post"])
            if item is not None:
                yield item
            stack.extend(node.get("replies") or [])
            if node.get("parent"):
                stack.append(node["parent"])

    def item(self, post: Any) -> PostItem | None:
        if not isinstance(post, dict):
            return None
        uri, record = post.get("uri"), post.get("record") or {}
        if not uri or "/app.bsky.feed.post/" not in uri:
            return None
        author = post.get("author") or {}
        stamp = str(record.get("createdAt") or post.get("indexedAt") or "")
        try:
            created = parse_datetime(stamp)
        except (TypeError, ValueError):
            created = parse_datetime(post["indexedAt"])
        reply = record.get("reply") or {}
        return PostItem(
            platform=self.name,
            external_id=uri,
            created_at=created,
            url=permalink(uri, author),
            text=expand_links(record.get("text") or "", record.get("facets")),
            author_handle=author.get("did") or author.get("handle"),
            parent_id=(reply.get("parent") or {}).get("uri"),
            # at://did:plc:xyz/app.bsky.feed.post/rkey: the replied-to account's DID.
            reply_to_handle=_did_of((reply.get("parent") or {}).get("uri")),
            thread_id=(reply.get("root") or {}).get("uri") or uri,
            engagement={k: post.get(f"{k}Count", 0) for k in ("like", "repost", "reply", "quote")},
        )


def _did_of(uri: str | None) -> str | None:
    if not uri or not uri.startswith("at://did:"):
        return None
    return uri[len("at://") :].split("/", 1)[0]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
