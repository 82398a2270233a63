"""The base class every Cohesion spider extends, and the registry of spiders.

How to write a spider (read this before writing one; `reddit.py` and `mastodon.py`
are worked examples):

1. One module per platform, `crawlers/spiders/<platform>.py`, one class named in
   `SPIDERS` below ("fourchan" -> `crawlers.spiders.fourchan:FourchanSpider`).
   Subclass `CohesionSpider` and set the class attributes:
   - `name`: the platform, as written in config (`platform = "fourchan"`); it is also
     the `platform` of every `PostItem` you yield.
   - `default_base_url`: the real site or API root; `self.base_url` is the source's
     `base_url` when set (a mirror, or a loopback test server) else this default.
     Build EVERY request URL from it with `self.url("/path", key=value)`; a URL you
     read from a response (a Link header, a `next` link) goes through
     `self.rebase(url)` so a crawl pointed at a test server never leaves it.
   - `Options`: a `SourceOptions` subclass (pydantic) declaring the platform-specific
     keys of the source's `[[sources]]` table with defaults and a description each.
     Unknown keys are refused with an error naming the key; `self.options` holds the
     validated instance.
   - `credential_env`: names of environment variables the spider needs (empty for
     public sources). Override the classmethod `required_credentials(options)` when
     only some options need them. A source missing one is skipped before its
     process starts, with a message naming the variable. Read values with
     `self.env("NAME")`.
   - override `local_by_default(self) -> bool` to say when the source is about the
     locality anyway (a local subreddit or channel: True) so posts are kept without a
     gazetteer match; the default is False, i.e. broad source, keep only posts that
     name a place (the source's `require_local` setting overrides both).
2. Implement `first_requests(self)`, a plain generator yielding
   `self.request(url, self.parse_x, page=1, ...)` (the base's `async def start()`
   yields from it; do not define `start_requests`); `self.request` sets the error
   handler that counts failures (HTTP errors after retries, timeouts, robots.txt
   refusals) and passes `page` and any other keyword to the callback as cb_kwargs,
   except `method`, `body`, `headers`, `meta`, `dont_filter` and `priority`, which go
   to the Request (so never name a callback argument after one of those).
3. In a callback, read the body with `self.json(response)` (or `self.html(response)`
   for markup): both count the page and return None after recording an error when
   the body is not what was expected (truncated JSON, an HTML error page). Yield a
   `crawlers.items.PostItem` per post: `external_id` (a string unique on the
   platform), `created_at` (tz-aware: use `from_epoch()` / `parse_datetime()`),
   `url` (the permalink), `html` (markup; the pipeline cleans it, dropping what your
   `drop_selectors` name, e.g. quoted replies) or `text` (plain), `author_handle`
   (raw: the pipeline pseudonymises it), `title`, `parent_id`, `thread_id`,
   `engagement`. Posts without text are yielded too (empty text). Never filter on
   locality in the spider: the pipeline does it and counts what it drops.
4. Paging: stop when the listing ends, when `self.more_pages(page)` is False (the
   source's `max_pages` per listing per run) or at the old cursor.
5. Cursor (incremental state in the database, a JSON dict): `self.cursor` is what the
   previous run saved (read only; `{}` on a first run). When a listing has been
   walked to its end without an error, call `self.set_cursor(key, value)` (key per
   listing, e.g. the board or feed URL; value JSON-able, e.g. the newest id or time
   seen). The run saves the old cursor updated with those keys at close, and only
   after every item was committed; a listing that failed keeps its old key, so the
   next run fetches it again (storing is idempotent, so refetching is harmless).
   Never set a key from a page that is not the last one you will fetch.
6. Record problems that are not HTTP failures with `self.fail("what went wrong")`;
   any recorded error makes the run's status `failed` (what was stored is kept).
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit, urlunsplit

import scrapy
from cohesion.config import ConfigError, SourceSettings
from cohesion.store.pseudonyms import Pseudonymiser
from cohesion.store.runs import CrawlCounts as StoreCounts
from pydantic import BaseModel, ConfigDict, ValidationError
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

# Platform name -> "module:Class". Imported on demand: a bad name is an error listing the
# valid ones, and a spider that fails to import fails loudly (never skipped silently).
SPIDERS: dict[str, str] = {
    "reddit": "cohesion.crawlers.spiders.reddit:RedditSpider",
    "mastodon": "cohesion.crawlers.spiders.mastodon:MastodonSpider",
    "bluesky": "cohesion.crawlers.spiders.bluesky:BlueskySpider",
    "telegram": "cohesion.crawlers.spiders.telegram:TelegramSpider",
    "fourchan": "cohesion.crawlers.spiders.fourchan:FourchanSpider",
    "rss": "cohesion.crawlers.spiders.rss:RssSpider",
    "discourse": "cohesion.crawlers.spiders.discourse:DiscourseSpider",
}


class UnknownSpiderError(ConfigError):
    """No spider for this platform name."""


def get_spider_class(platform: str) -> type[CohesionSpider]:
    """The spider class registered for a platform; an error lists the valid names."""
    if platform not in SPIDERS:
        raise UnknownSpiderError(
            f"no spider for platform {platform!r} (valid: {', '.join(sorted(SPIDERS))})"
        )
    module_name, class_name = SPIDERS[platform].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, CohesionSpider)):
        raise TypeError(f"{SPIDERS[platform]} is not a CohesionSpider")
    return cls


class SourceOptions(BaseModel):
    """Base of every spider's options model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class CrawlCounts:
    """What one crawl did; filled by the spider (pages, errors) and the pipelines."""

    pages: int = 0
    items: int = 0
    new: int = 0
    duplicate: int = 0
    not_local: int = 0
    errors: int = 0
    messages: list[str] = field(default_factory=list)

    def for_store(self) -> StoreCounts:
        """The counts a crawl_runs row keeps."""
        return StoreCounts(
            pages=self.pages,
            items_seen=self.items,
            items_new=self.new,
            items_duplicate=self.duplicate,
            errors=self.errors,
        )


@dataclass
class CrawlContext:
    """What a run hands a spider and its pipelines: where to store, and the counters."""

    source: SourceSettings
    source_id: int | None = None
    cursor: dict[str, Any] = field(default_factory=dict)
    settings: Any = None  # config.Settings
    sessions: Any = None  # sessionmaker for the store
    pseudonymiser: Pseudonymiser | None = None
    counts: CrawlCounts = field(default_factory=CrawlCounts)
    progress: Callable[[CrawlCounts], None] | None = None
    store_failed: bool = False
    cursor_saved: bool = False
    # The crawl_runs row (crawlers/lifecycle.py): who runs the crawl, the row's id once
    # the spider opened, its final status, and what to release when the spider closes.
    runner: str = "local"
    run_id: int | None = None
    status: str | None = None
    on_close: Callable[[], None] | None = None

    @property
    def keep_raw_handles(self) -> bool:
        """[privacy] keep_raw_handles: raw handles and clear links are stored too."""
        return bool(self.settings and self.settings.privacy.keep_raw_handles)


class CohesionSpider(scrapy.Spider):
    """A spider for one configured source; see the module docstring."""

    name = ""  # the platform; set by every subclass
    default_base_url: ClassVar[str] = ""
    Options: ClassVar[type[SourceOptions]] = SourceOptions
    credential_env: ClassVar[tuple[str, ...]] = ()
    drop_selectors: ClassVar[tuple[str, ...]] = ()
    MAX_MESSAGES: ClassVar[int] = 20

    def __init__(self, context: CrawlContext, **kwargs: Any) -> None:
        super().__init__(name=self.name, **kwargs)
        self.context = context
        self.source = context.source
        self.options = self.parse_options(context.source)
        base = (context.source.base_url or self.default_base_url).rstrip("/")
        self.base_url: str = base
        self.base_url_is_default = not context.source.base_url
        self.max_pages: int = context.source.max_pages
        self.cursor: dict[str, Any] = dict(context.cursor or {})
        self.next_cursor: dict[str, Any] = {}
        local = context.source.require_local
        self.require_local: bool = (not self.local_by_default()) if local is None else local

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CohesionSpider:
        if "context" not in kwargs:  # started by Scrapyd / `scrapy crawl`, not by run.py
            from cohesion.crawlers.scrapyd import standalone_context

            kwargs["context"] = standalone_context(crawler, cls, kwargs)
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_spider_error, signal=signals.spider_error)
        return spider  # type: ignore[return-value]

    # Options and credentials -------------------------------------------------------
    @classmethod
    def parse_options(cls, source: SourceSettings) -> Any:
        try:
            return cls.Options.model_validate(source.options)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or '(options)'}: "
                f"{'unknown option' if error['type'] == 'extra_forbidden' else error['msg']}"
                for error in exc.errors()
            )
            raise ConfigError(f"source {source.name!r} ({cls.name}): {problems}") from None

    @classmethod
    def required_credentials(cls, options: Any) -> tuple[str, ...]:
        return cls.credential_env

    @classmethod
    def missing_credentials(cls, source: SourceSettings) -> list[str]:
        options = cls.parse_options(source)
        return [name for name in cls.required_credentials(options) if not os.environ.get(name)]

    def env(self, name: str) -> str:
        value = os.environ.get(name, "")
        if not value:
            raise ConfigError(
                f"set the environment variable {name} for source {self.source.name!r}"
            )
        return value

    def local_by_default(self) -> bool:
        return False

    # URLs and requests -------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for request in self.first_requests():
            yield request

    def first_requests(self) -> Iterator[Any]:
        """The requests a crawl starts with; every spider implements it."""
        raise NotImplementedError

    def url(self, path: str, **params: Any) -> str:
        """base_url + path + query (None values left out, order kept)."""
        query = urlencode([(k, v) for k, v in params.items() if v is not None])
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")

    def rebase(self, url: str) -> str:
        """Move an absolute URL from a response onto base_url's scheme and host."""
        base = urlsplit(self.base_url)
        parts = urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def request(
        self, url: str, callback: Callable[..., Any], *, page: int = 1, **kwargs: Any
    ) -> Request:
        """A GET (or anything else via method=/body=/headers=) with error counting."""
        request_args = {
            k: kwargs.pop(k)
            for k in ("method", "body", "headers", "meta", "dont_filter", "priority")
            if k in kwargs
        }
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            cb_kwargs={"page": page, **kwargs},
            **request_args,
        )

    def more_pages(self, page: int) -> bool:
        """Whether a listing on `page` may go on to the next page (max_pages)."""
        return page < self.max_pages

    # Responses ---------------------------------------------------------------------
    def count_page(self) -> None:
        self.context.counts.pages += 1
        if self.context.progress:
            self.context.progress(self.context.counts)

    def json(self, response: Response) -> Any:
        """The JSON body, counting the page; None (and an error) when it is not JSON."""
        self.count_page()
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        try:
            return json.loads(response.body)
        except (ValueError, UnicodeDecodeError) as exc:
            kind = (
                "HTML"
                if "html" in content_type or response.body.lstrip()[:1] == b"<"
                else ("invalid or truncated JSON")
            )
            self.fail(f"{response.url}: expected JSON, got {kind} ({str(exc)[:80]})")
            return None

    def html(self, response: Response) -> TextResponse | None:
        """The response as markup, counting the page; None (and an error) otherwise."""
        self.count_page()
        if not isinstance(response, TextResponse) or not response.text.strip():
            self.fail(f"{response.url}: expected an HTML page, got an empty or binary body")
            return None
        return response

    # Cursor and errors -------------------------------------------------------------
    def set_cursor(self, key: str, value: Any) -> None:
        """Record a listing's new cursor; saved at close after all items are stored."""
        self.next_cursor[key] = value

    def merged_cursor(self) -> dict[str, Any]:
        return {**self.cursor, **self.next_cursor}

    def fail(self, message: str) -> None:
        counts = self.context.counts
        counts.errors += 1
        if len(counts.messages) < self.MAX_MESSAGES:
            counts.messages.append(message)
        self.logger.error(message)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(HttpError):
            response = failure.value.response
            self.fail(f"{url}: HTTP {response.status} (after retries)")
        elif failure.check(IgnoreRequest) and "robots" in str(failure.value).lower():
            self.fail(f"{url}: forbidden by robots.txt")
        elif failure.check(IgnoreRequest):
            self.fail(f"{url}: request ignored ({failure.value})")
        else:
            self.fail(f"{url}: {failure.type.__name__}: {str(failure.value)[:200]}")

    def _on_spider_error(self, failure: Failure, response: Response, spider: Any) -> None:
        if spider is self:
            self.fail(
                f"{response.url}: {failure.type.__name__} while parsing: {str(failure.value)[:200]}"
            )


# Time helpers for spiders ------------------------------------------------------------
def from_epoch(seconds: float | int | str) -> datetime:
    """UTC datetime from epoch seconds (Reddit's float created_utc, 4chan's int time)."""
    return datetime.fromtimestamp(float(seconds), tz=UTC)


def parse_datetime(value: str) -> datetime:
    """ISO 8601 / RFC 3339 (any precision, Z or offset) or RFC 822, as aware UTC.

    A time without a zone is taken as UTC: every platform here that omits the zone
    means UTC.
    """
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            moment = _fromisoformat_loose(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _fromisoformat_loose(text: str) -> datetime:
    # More than 6 fractional digits (nanoseconds) or a missing seconds field.
    match = re.match(r"^(.*T\d\d:\d\d(?::\d\d)?)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$", text)
    if not match:
        raise ValueError(f"unreadable time {text!r}")
    head, fraction, zone = match.groups()
    fraction = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone in (None, "Z") else zone
    return datetime.fromisoformat(f"{head}.{fraction}{zone}")
