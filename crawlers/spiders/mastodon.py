"""Mastodon: hashtag, account, local/public timelines and single threads.

What is collected: public statuses of the configured hashtags, accounts and
timelines of one instance (`base_url`), and the replies under configured statuses.
Boosts are resolved to the boosted status; statuses are keyed on their `uri`, which
is the same on every server (numeric ids differ per server), so a status seen through
two instances is stored once. Paging follows only the `Link` header (rebased on
`base_url`); the cursor is the newest status id per listing, sent as `since_id` next
time so a run fetches only what is new.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from cohesion.crawlers.items import PostItem
from cohesion.crawlers.spiders.base import CohesionSpider, SourceOptions, parse_datetime
from cohesion.crawlers.text import html_to_text
from pydantic import Field
from scrapy.http import Response

_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([^";]+)"?')


class MastodonOptions(SourceOptions):
    hashtags: list[str] = Field(default_factory=list, description="Hashtags, without '#'")
    accounts: list[str] = Field(
        default_factory=list, description="Accounts: numeric ids, or user / user@domain to look up"
    )
    timelines: list[Literal["local", "public"]] = Field(
        default_factory=list, description="Instance timelines: local (this server) or public"
    )
    statuses: list[str] = Field(
        default_factory=list, description="Status ids whose thread (replies) to collect"
    )
    limit: int = Field(40, ge=1, le=40, description="Statuses per page (the API's maximum is 40)")


def next_link(response: Response) -> str | None:
    """The rel="next" URL of a Link header, if any."""
    header = response.headers.get(b"Link")
    if not header:
        return None
    for url, rel in _LINK.findall(header.decode("latin-1")):
        if "next" in rel.split():
            return str(url)
    return None


def reply_to_handle(status: dict[str, Any]) -> str | None:
    """user@instance of the account a reply answers, from the status's own mentions."""
    target = status.get("in_reply_to_account_id")
    if not target:
        return None
    for mention in status.get("mentions") or []:
        if str(mention.get("id")) == str(target):
            return author_handle(mention)
    return None


def author_handle(account: dict[str, Any]) -> str | None:
    """user@instance, the same whichever server reports it."""
    acct = account.get("acct") or account.get("username")
    if not acct:
        return None
    if "@" in acct:
        return str(acct)
    host = urlsplit(account.get("url") or "").netloc
    return f"{acct}@{host}" if host else str(acct)


class MastodonSpider(CohesionSpider):
    name = "mastodon"
    default_base_url = "https://mastodon.social"
    Options = MastodonOptions
    drop_selectors = (".quote-inline",)

    def local_by_default(self) -> bool:
        # Instance timelines are broad; hashtags, accounts and threads are picked for
        # the locality by the analyst.
        return not self.options.timelines

    def first_requests(self) -> Iterator[Any]:
        opts = self.options
        for tag in opts.hashtags:
            yield self.listing(
                f"tag:{tag.lstrip('#')}", f"/api/v1/timelines/tag/{quote(tag.lstrip('#'), safe='')}"
            )
        for timeline in opts.timelines:
            path = "/api/v1/timelines/public"
            yield self.listing(
                f"timeline:{timeline}", path, local="true" if timeline == "local" else None
            )
        for account in opts.accounts:
            if account.isdigit():
                yield self.listing(f"account:{account}", f"/api/v1/accounts/{account}/statuses")
            else:
                yield self.request(
                    self.url("/api/v1/accounts/lookup", acct=account.lstrip("@")),
                    self.parse_lookup,
                    account=account,
                )
        for status_id in opts.statuses:
            yield self.request(self.url(f"/api/v1/statuses/{status_id}"), self.parse_status)
            yield self.request(
                self.url(f"/api/v1/statuses/{status_id}/context"), self.parse_context
            )

    def listing(self, key: str, path: str, **params: Any) -> Any:
        since = self.cursor.get(key)
        url = self.url(path, **params, limit=self.options.limit, since_id=since)
        return self.request(url, self.parse_listing, key=key, since=since, newest=None)

    def parse_lookup(self, response: Response, page: int, account: str) -> Iterator[Any]:
        data = self.json(response)
        if not isinstance(data, dict) or "id" not in data:
            self.fail(f"{response.url}: account {account!r} not found")
            return
        yield self.listing(f"account:{account}", f"/api/v1/accounts/{data['id']}/statuses")

    def parse_listing(
        self, response: Response, page: int, key: str, since: str | None, newest: str | None
    ) -> Iterator[Any]:
        data = self.json(response)
        if data is None:
            return
        if not isinstance(data, list):
            self.fail(f"{response.url}: expected a list of statuses")
            return
        ids = [int(s["id"]) for s in data if str(s.get("id", "")).isdigit()]
        reached_cursor = since is not None and any(i <= int(since) for i in ids)
        if ids and (newest is None or max(ids) > int(newest)):
            newest = str(max(ids))
        yield from self.items(data, since=since)
        link = next_link(response)
        if data and link and not reached_cursor and self.more_pages(page):
            yield self.request(
                self.rebase(link),
                self.parse_listing,
                page=page + 1,
                key=key,
                since=since,
                newest=newest,
            )
        elif newest is not None:
            self.set_cursor(key, newest)

    def parse_status(self, response: Response, page: int) -> Iterator[PostItem]:
        data = self.json(response)
        if isinstance(data, dict):
            yield from self.items([data])

    def parse_context(self, response: Response, page: int) -> Iterator[PostItem]:
        data = self.json(response)
        if isinstance(data, dict):
            yield from self.items([*data.get("ancestors", []), *data.get("descendants", [])])

    def items(self, statuses: list[dict[str, Any]], since: str | None = None) -> Iterator[PostItem]:
        # Replies name their parent by this server's id; remember id -> uri for the run.
        uris = self.__dict__.setdefault("_uris", {})
        uris.update({s.get("id"): s.get("uri") for s in statuses})
        for status in statuses:
            if (
                since is not None
                and str(status.get("id", "")).isdigit()
                and int(status["id"]) <= int(since)
            ):
                continue
            original = status.get("reblog") or status
            item = self.item(original, uris)
            if item is not None:
                yield item

    def item(self, status: dict[str, Any], uris: dict[Any, Any]) -> PostItem | None:
        uri = status.get("uri")
        if not uri or not status.get("created_at"):
            return None
        text = html_to_text(status.get("content"), self.drop_selectors)
        poll = status.get("poll") or {}
        options = [o.get("title", "") for o in poll.get("options", []) if o.get("title")]
        if options:
            text = "\n".join([text, *(f"- {o}" for o in options)]).strip()
        return PostItem(
            platform=self.name,
            external_id=uri,
            created_at=parse_datetime(status["created_at"]),
            url=status.get("url") or uri,
            text=text,
            title=status.get("spoiler_text") or None,
            author_handle=author_handle(status.get("account") or {}),
            reply_to_handle=reply_to_handle(status),
            parent_id=uris.get(status.get("in_reply_to_id")),
            engagement={
                "replies": status.get("replies_count", 0),
                "boosts": status.get("reblogs_count", 0),
                "favourites": status.get("favourites_count", 0),
            },
        )
