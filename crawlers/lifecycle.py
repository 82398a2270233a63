"""One crawl's life in the store, as a Scrapy extension built from the crawler.

Every crawl of a configured source runs with `CrawlRunLifecycle` (enabled in
crawlers/settings.py): a local crawl (`cohesion crawl`, the scheduler's nightly run)
and a Scrapyd job on a crawl node alike. Whoever starts the crawl builds its
`CrawlContext` with `open_context` (the source registered, its cursor read); the
extension then

- opens the source's crawl_runs row when the spider opens, and
- when the spider closes, saves the cursor (only after a clean finish with every batch
  stored: see crawlers/spiders/base.py for the cursor rule), counts an early end as an
  error, and finishes the row with the counts, a status and a short message.

The outcome stays on the context (`run_id`, `status`, `cursor_saved`, `counts`) for the
starter to report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cohesion.config import Settings
from cohesion.crawlers.spiders.base import CohesionSpider, CrawlContext, CrawlCounts
from cohesion.runtime import sync_sources
from cohesion.store.engine import session_scope
from cohesion.store.pseudonyms import Pseudonymiser
from cohesion.store.runs import finish_crawl_run, get_source, save_cursor, start_crawl_run
from scrapy import signals
from scrapy.crawler import Crawler
from sqlalchemy.orm import Session, sessionmaker

RUNNER_LENGTH = 200  # crawl_runs.runner


def open_context(
    settings: Settings,
    source_name: str,
    sessions: sessionmaker[Session],
    pseudonymiser: Pseudonymiser,
    *,
    runner: str,
    progress: Callable[[CrawlCounts], None] | None = None,
    on_close: Callable[[], None] | None = None,
) -> CrawlContext:
    """The context of one crawl: the configured sources registered, this one's id and
    cursor read from the store."""
    source = settings.source(source_name)
    with session_scope(sessions) as session:
        sync_sources(session, settings)
        row = get_source(session, source.name)
        assert row is not None  # registered just above
        source_id, cursor = row.id, dict(row.cursor or {})
    return CrawlContext(
        source=source,
        source_id=source_id,
        cursor=cursor,
        settings=settings,
        sessions=sessions,
        pseudonymiser=pseudonymiser,
        progress=progress,
        runner=runner[:RUNNER_LENGTH],
        on_close=on_close,
    )


def summary_message(counts: CrawlCounts) -> str:
    """The first few problems of a crawl, for crawl_runs.message and the summary."""
    parts = list(counts.messages[:3])
    if len(counts.messages) > 3:
        parts.append(f"... and {len(counts.messages) - 3} more")
    return "; ".join(parts)


class CrawlRunLifecycle:
    """Opens and closes a crawl's crawl_runs row; saves the cursor (see the module)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunLifecycle:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        context = _context_of(spider)
        if context is None:
            return
        assert context.source_id is not None  # set by open_context
        with session_scope(context.sessions) as session:
            context.run_id = start_crawl_run(session, context.source_id, runner=context.runner).id

    def spider_closed(self, spider: Any, reason: str) -> None:
        context = _context_of(spider)
        if context is None:
            return
        try:
            if context.run_id is not None:
                close_run(context, spider, reason)
        finally:
            if context.on_close is not None:
                context.on_close()


def close_run(context: CrawlContext, spider: CohesionSpider, reason: str) -> None:
    """Save the cursor after a clean finish, then finish the crawl_runs row."""
    counts = context.counts
    if reason == "finished" and not context.store_failed:
        assert context.source_id is not None
        with session_scope(context.sessions) as session:
            save_cursor(session, context.source_id, spider.merged_cursor())
        context.cursor_saved = True
    elif reason != "finished":
        counts.errors += 1
        counts.messages.append(f"crawl ended early ({reason})")
    fail_or_finish(context)


def fail_or_finish(context: CrawlContext) -> None:
    """Finish the context's open crawl_runs row with its counts (failed on any error)."""
    assert context.run_id is not None
    counts = context.counts
    context.status = "failed" if counts.errors else "ok"
    with session_scope(context.sessions) as session:
        finish_crawl_run(
            session,
            context.run_id,
            context.status,
            counts.for_store(),
            summary_message(counts) or None,
        )


def _context_of(spider: Any) -> CrawlContext | None:
    """The context of a Cohesion spider with a store (spiders run without one in tests)."""
    context = getattr(spider, "context", None)
    if not isinstance(spider, CohesionSpider) or context is None or context.sessions is None:
        return None
    return context
