"""Item pipelines: clean text, language, locality, pseudonym, then batched upserts.

Every pipeline reads the run's `CrawlContext` from the spider (`spider.context`):
the Cohesion settings, the store's session factory, the pseudonymiser and the
counters that end up in the per-source summary and the crawl_runs row.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Sequence
from typing import Any

from cohesion.crawlers.items import PostItem
from cohesion.crawlers.language import detect_language
from cohesion.crawlers.spiders.base import CohesionSpider
from cohesion.crawlers.text import html_to_text, normalise_text
from cohesion.store.engine import session_scope
from cohesion.store.posts import PostRecord, upsert_posts
from cohesion.store.privacy import PostPrivacy
from scrapy.exceptions import DropItem

logger = logging.getLogger(__name__)


# Per-post steps as plain functions: the pipelines below and the bulk importer
# (crawlers/imports.py) call the same ones, so imported posts are cleaned alike.
def clean_text(text: str | None, html: str | None, drop_selectors: Any = ()) -> str:
    """Clean text of a post: markup to text (dropping `drop_selectors`) or plain text."""
    if html is not None and not text:
        return html_to_text(html, drop_selectors)
    return normalise_text(text or "")


def clean_title(title: str | None) -> str | None:
    return (normalise_text(title) or None) if title is not None else None


class _Pipeline:
    """Keeps the crawler (Scrapy no longer passes the spider to pipeline methods)."""

    crawler: Any

    @classmethod
    def from_crawler(cls, crawler: Any) -> Any:
        pipeline = cls()
        pipeline.crawler = crawler
        return pipeline

    @property
    def spider(self) -> CohesionSpider:
        return self.crawler.spider  # type: ignore[no-any-return]


class CleanTextPipeline(_Pipeline):
    """HTML to text (line breaks kept, quoted replies dropped); counts every item."""

    def process_item(self, item: PostItem) -> PostItem:
        spider = self.spider
        spider.context.counts.items += 1
        item.text = clean_text(item.text, item.html, spider.drop_selectors)
        item.html = None
        item.title = clean_title(item.title)
        return item


class LanguagePipeline(_Pipeline):
    """ISO 639-1 code from py3langid (offline), or None for short or empty text."""

    def process_item(self, item: PostItem) -> PostItem:
        if not item.language:
            item.language = detect_language(item.text or item.title or "")
        return item


class Gazetteer:
    """Whole-word, case-insensitive matching of the locality's places and aliases."""

    def __init__(self, places: list[Any]) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for place in places:
            names = sorted({place.name, *place.aliases}, key=len, reverse=True)
            alternatives = "|".join(re.escape(name.strip()) for name in names if name.strip())
            if alternatives:
                pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
                self._patterns.append((place.name, pattern))

    def match(self, text: str) -> list[str]:
        return [name for name, pattern in self._patterns if pattern.search(text)]

    def match_many(self, texts: Sequence[str]) -> list[list[str]]:
        """`match` of each text, with one regex scan per place over the whole batch.

        The texts are joined by a separator no place name can match across (it holds a
        NUL and line breaks, which are non-word characters, so the whole-word lookarounds
        see a text's ends as they see the ends of a lone text); each match is mapped
        back to its text by offset. Same answers, places in config order.
        """
        found: list[list[str]] = [[] for _ in texts]
        if not self._patterns or not texts:
            return found
        joined = _BATCH_SEPARATOR.join(texts)
        starts, offset = [], 0
        for text in texts:
            starts.append(offset)
            offset += len(text) + len(_BATCH_SEPARATOR)
        for name, pattern in self._patterns:
            position = 0
            while (hit := pattern.search(joined, position)) is not None:
                index = bisect.bisect_right(starts, hit.start()) - 1
                found[index].append(name)
                # On to the next text: a place counts once per text.
                position = starts[index + 1] if index + 1 < len(starts) else len(joined)
        return found


_BATCH_SEPARATOR = "\n\x00\n"


class LocalityPipeline(_Pipeline):
    """Set `places`; drop (and count) posts of broad sources that name no place."""

    def open_spider(self) -> None:
        settings = self.spider.context.settings
        self.gazetteer = Gazetteer(settings.locality.places if settings else [])

    def process_item(self, item: PostItem) -> PostItem:
        spider = self.spider
        item.places = self.gazetteer.match(f"{item.title or ''}\n{item.text or ''}")
        if spider.require_local and not item.places:
            spider.context.counts.not_local += 1
            raise DropItem("names no place of the locality")
        return item


def account_key(platform: str, handle: str) -> str:
    return f"{platform}:{handle.strip().lstrip('@').casefold()}"


def watchlist_accounts(entries: list[Any]) -> dict[str, str]:
    """'platform:handle' -> entry name, from each entry's `accounts` in config."""
    found = {}
    for entry in entries:
        for account in entry.accounts:
            platform, _, handle = account.partition(":")
            if handle:
                found[account_key(platform.strip(), handle)] = entry.name
    return found


class PseudonymPipeline(_Pipeline):
    """Replace the raw handle by its keyed pseudonym; keep the raw handle only if told.

    A reply to a watchlist entry's own account (`accounts` in config) keeps the entry's
    name, so "you" in the reply can name it; the replied-to handle itself is dropped.
    """

    def open_spider(self) -> None:
        settings = self.spider.context.settings
        self.watch_accounts = watchlist_accounts(settings.watchlist if settings else [])

    def process_item(self, item: PostItem) -> PostItem:
        context = self.spider.context
        if item.reply_to_handle:
            item.addressed_watchlist = self.watch_accounts.get(
                account_key(item.platform, item.reply_to_handle)
            )
            item.reply_to_handle = None
        if item.author_handle and context.pseudonymiser is not None:
            item.author_pseudonym = context.pseudonymiser(item.platform, item.author_handle)
        if not context.keep_raw_handles:
            item.author_handle = None
        return item


class StorePipeline(_Pipeline):
    """Upsert through store/ every COHESION_STORE_BATCH items and at close.

    A failed batch is an error of the run (`context.store_failed`), which then keeps
    its old cursor (run.py saves the cursor after the last batch is committed).
    """

    def __init__(self, batch_size: int = 200) -> None:
        self.batch_size = batch_size
        self.buffer: list[PostRecord] = []
        self.privacy: PostPrivacy | None = None

    def open_spider(self) -> None:
        context = self.spider.context
        if context.pseudonymiser is not None:
            self.privacy = context.pseudonymiser.post_privacy(
                keep_raw_links=context.keep_raw_handles
            )

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        pipeline = cls(crawler.settings.getint("COHESION_STORE_BATCH", 200))
        pipeline.crawler = crawler
        return pipeline

    def process_item(self, item: PostItem) -> PostItem:
        spider = self.spider
        if self.privacy is None:
            # Storing ids and links in clear would break the privacy promise: fail the run.
            if not spider.context.store_failed:
                spider.context.store_failed = True
                spider.fail("no instance key (pseudonym key): posts cannot be stored without it")
            raise DropItem("no instance key")
        self.buffer.append(
            self.privacy.protect(
                PostRecord(
                    platform=item.platform,
                    external_id=item.external_id,
                    text=item.text or "",
                    created_at=item.created_at,
                    url=item.url,
                    author_pseudonym=item.author_pseudonym,
                    author_handle=item.author_handle,
                    title=item.title,
                    language=item.language,
                    parent_id=item.parent_id,
                    thread_id=item.thread_id,
                    engagement=dict(item.engagement),
                    places=list(item.places),
                    source_id=spider.context.source_id,
                    addressed_watchlist=item.addressed_watchlist,
                )
            )
        )
        if len(self.buffer) >= self.batch_size:
            self.flush(spider)
        return item

    def flush(self, spider: CohesionSpider) -> None:
        if not self.buffer:
            return
        context = spider.context
        records, self.buffer = self.buffer, []
        try:
            with session_scope(context.sessions) as session:
                result = upsert_posts(session, records, context.settings.locality.zone)
        except Exception as exc:  # a store failure must fail the run, not kill the reactor
            context.store_failed = True
            spider.fail(f"storing {len(records)} posts failed: {type(exc).__name__}: {exc}")
            return
        context.counts.new += result.new
        context.counts.duplicate += result.duplicate
        if context.progress:
            context.progress(context.counts)

    def close_spider(self) -> None:
        self.flush(self.spider)
