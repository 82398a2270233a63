"""Reddit through its OAuth API: new posts and comments of subreddits, and threads.

What is collected: the newest submissions (`/r/SUB/new`) and comments
(`/r/SUB/comments`) of the configured subreddits, and whole comment trees of
configured threads (`more` stubs expanded through `/api/morechildren`). Reddit's
robots.txt forbids crawling its public pages, so this spider uses the API host with
an app's client credentials (COHESION_REDDIT_CLIENT_ID / _SECRET, client-credentials
grant). Cursor per listing: the newest fullname and its time; the next run asks for
what came `before` it, and walks the listing from the top down to that time when the
answer is empty (the anchor may have been deleted) or a full page (more is new).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from cohesion.crawlers.items import PostItem
from cohesion.crawlers.spiders.base import CohesionSpider, SourceOptions, from_epoch
from pydantic import Field
from scrapy.http import Response

SITE = "https://www.reddit.com"
DEFAULT_TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
ID_ENV, SECRET_ENV = "COHESION_REDDIT_CLIENT_ID", "COHESION_REDDIT_CLIENT_SECRET"


class RedditOptions(SourceOptions):
    subreddits: list[str] = Field(default_factory=list, description="Subreddit names, without r/")
    comments: bool = Field(True, description="Also collect each subreddit's newest comments")
    threads: list[str] = Field(
        default_factory=list, description="Post ids whose comment trees to collect"
    )
    limit: int = Field(100, ge=1, le=100, description="Items per listing page (API maximum 100)")
    comment_limit: int = Field(500, ge=1, le=2048, description="Comments per thread request")
    expand_more: bool = Field(True, description="Fetch the comments hidden behind `more` stubs")
    token_url: str | None = Field(
        None, description="OAuth token endpoint; default reddit.com's, or base_url's when set"
    )


class RedditSpider(CohesionSpider):
    name = "reddit"
    default_base_url = "https://oauth.reddit.com"
    Options = RedditOptions
    credential_env = (ID_ENV, SECRET_ENV)

    def local_by_default(self) -> bool:
        return True  # a subreddit is configured because it is the locality's

    # Authentication ---------------------------------------------------------------
    def first_requests(self) -> Iterator[Any]:
        token_url = self.options.token_url or (
            DEFAULT_TOKEN_URL
            if self.base_url_is_default
            else f"{self.base_url}/api/v1/access_token"
        )
        basic = base64.b64encode(f"{self.env(ID_ENV)}:{self.env(SECRET_ENV)}".encode()).decode()
        yield self.request(
            token_url,
            self.parse_token,
            method="POST",
            body="grant_type=client_credentials",
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )

    def parse_token(self, response: Response, page: int) -> Iterator[Any]:
        self.context.counts.pages -= 1  # the token is not a page of posts
        data = self.json(response)
        if not isinstance(data, dict) or not data.get("access_token"):
            self.fail(
                f"{response.url}: no access token in the answer "
                f"({(data or {}).get('error', 'unexpected body') if isinstance(data, dict) else 'not JSON'})"
            )
            return
        self.auth = {"Authorization": f"bearer {data['access_token']}"}
        for sub in self.options.subreddits:
            yield self.listing(f"new:{sub}", f"/r/{sub}/new.json")
            if self.options.comments:
                yield self.listing(f"comments:{sub}", f"/r/{sub}/comments.json")
        for thread in self.options.threads:
            url = self.url(
                f"/comments/{thread}.json",
                limit=self.options.comment_limit,
                sort="confidence",
                raw_json=1,
            )
            yield self.request(url, self.parse_thread, headers=self.auth, link_id=f"t3_{thread}")

    # Listings ---------------------------------------------------------------------
    def listing(self, key: str, path: str) -> Any:
        cursor = self.cursor.get(key) or {}
        anchor = cursor.get("name")
        mode = "before" if anchor else "top"
        url = self.url(path, limit=self.options.limit, before=anchor, raw_json=1)
        return self.request(
            url,
            self.parse_listing,
            headers=self.auth,
            key=key,
            path=path,
            mode=mode,
            stop=cursor.get("created"),
            newest=None,
        )

    def parse_listing(
        self,
        response: Response,
        page: int,
        key: str,
        path: str,
        mode: str,
        stop: float | None,
        newest: dict[str, Any] | None,
    ) -> Iterator[Any]:
        data = self.json(response)
        if data is None:
            return
        if not isinstance(data, dict) or data.get("kind") != "Listing":
            self.fail(f"{response.url}: expected a Listing")
            return
        children = data["data"].get("children", [])
        reached = False
        for child in children:
            entry = child.get("data", {})
            created = entry.get("created_utc")
            if created is None:
                continue
            if stop is not None and float(created) <= float(stop):
                reached = True
                continue
            if newest is None or float(created) > newest["created"]:
                newest = {"name": entry.get("name"), "created": float(created)}
            yield from self.things([child])
        after = data["data"].get("after")
        if mode == "before":
            # A short page reached the anchor; an empty (anchor gone?) or full page means
            # walking from the top instead.
            done = 0 < len(children) < self.options.limit or not self.more_pages(page)
            params = {}
        else:
            done = reached or not after or not children or not self.more_pages(page)
            params = {"after": after}
        if not done:
            url = self.url(path, limit=self.options.limit, **params, raw_json=1)
            yield self.request(
                url,
                self.parse_listing,
                page=page + 1,
                headers=self.auth,
                key=key,
                path=path,
                mode="top",
                stop=stop,
                newest=newest,
            )
            return
        if done and newest is not None:
            self.set_cursor(key, newest)

    # Threads ----------------------------------------------------------------------
    def parse_thread(self, response: Response, page: int, link_id: str) -> Iterator[Any]:
        data = self.json(response)
        if data is None:
            return
        if not (isinstance(data, list) and all(isinstance(x, dict) for x in data)):
            self.fail(f"{response.url}: expected [post listing, comment listing]")
            return
        stubs: list[str] = []
        for listing in data:
            yield from self.things(listing.get("data", {}).get("children", []), stubs)
        yield from self.expand(link_id, stubs, page)

    def parse_more(
        self, response: Response, page: int, link_id: str, rest: list[str]
    ) -> Iterator[Any]:
        data = self.json(response)
        if data is None:
            return
        things = (
            ((data.get("json") or {}).get("data") or {}).get("things", [])
            if isinstance(data, dict)
            else []
        )
        stubs: list[str] = []
        yield from self.things(things, stubs)
        yield from self.expand(link_id, [*rest, *stubs], page)

    def expand(self, link_id: str, stubs: list[str], page: int) -> Iterator[Any]:
        if not (stubs and self.options.expand_more and self.more_pages(page)):
            return
        batch, rest = stubs[:100], stubs[100:]
        url = self.url(
            "/api/morechildren.json",
            api_type="json",
            link_id=link_id,
            children=",".join(batch),
            raw_json=1,
        )
        yield self.request(
            url, self.parse_more, page=page + 1, headers=self.auth, link_id=link_id, rest=rest
        )

    # Things -----------------------------------------------------------------------
    def things(
        self, children: list[dict[str, Any]], stubs: list[str] | None = None
    ) -> Iterator[PostItem]:
        for child in children:
            kind, entry = child.get("kind"), child.get("data") or {}
            if kind == "more":
                if stubs is not None:
                    stubs.extend(str(c) for c in entry.get("children", []))
            elif kind == "t3":
                yield self.submission(entry)
            elif kind == "t1":
                yield self.comment(entry)
                replies = entry.get("replies")
                if isinstance(replies, dict):  # "" when there are none
                    yield from self.things(replies.get("data", {}).get("children", []), stubs)

    def submission(self, entry: dict[str, Any]) -> PostItem:
        title = entry.get("title") or ""
        return PostItem(
            platform=self.name,
            external_id=entry["name"],
            created_at=from_epoch(entry["created_utc"]),
            url=SITE + entry["permalink"] if entry.get("permalink") else entry.get("url"),
            # A link post's only words are its title.
            text=entry.get("selftext") or title,
            title=title or None,
            author_handle=_author(entry),
            thread_id=entry["name"],
            engagement={
                "score": entry.get("score", 0),
                "comments": entry.get("num_comments", 0),
                "subreddit": entry.get("subreddit"),
            },
        )

    def comment(self, entry: dict[str, Any]) -> PostItem:
        if entry.get("permalink"):
            url = SITE + entry["permalink"]
        elif entry.get("link_permalink"):
            url = entry["link_permalink"].rstrip("/") + f"/{entry['id']}/"
        else:  # old comments carry no permalink; this form redirects to the comment
            url = f"{SITE}/comments/{entry.get('link_id', 't3_')[3:]}/_/{entry['id']}/"
        return PostItem(
            platform=self.name,
            external_id=entry["name"],
            created_at=from_epoch(entry["created_utc"]),
            url=url,
            text=drop_quoted_lines(entry.get("body") or ""),
            author_handle=_author(entry),
            parent_id=entry.get("parent_id"),
            thread_id=entry.get("link_id"),
            engagement={"score": entry.get("score", 0), "subreddit": entry.get("subreddit")},
        )


def drop_quoted_lines(markdown: str) -> str:
    """A comment's own words: markdown quote lines ("> ...") repeat another post."""
    return "\n".join(line for line in markdown.split("\n") if not line.lstrip().startswith(">"))


def _author(entry: dict[str, Any]) -> str | None:
    author = entry.get("author")
    return None if not author or author == "[deleted]" else str(author)
