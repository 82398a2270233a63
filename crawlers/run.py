"""Run crawls: each source in its own process, with a summary per source.

Why a process per source: a Twisted reactor cannot be restarted in a process, and a
crash or leak in one crawl must not take the others down. The parent checks what it
can without a reactor (the source is enabled, its spider and options are valid, its
credentials are set), spawns a child per source ("spawn" start method, so no state is
inherited), shows progress from the child's messages and collects a
`SourceSummary`. The child opens the store and runs Scrapy with the asyncio reactor;
the crawl_runs row and the cursor are the lifecycle extension's (crawlers/lifecycle.py),
the same one a Scrapyd job runs with.

Cursor rule: the source's cursor (the previous one updated with the listings the spider
finished cleanly, see crawlers/spiders/base.py) is saved only after the crawl closed
normally ("finished") and every batch was committed. A failed batch or an aborted crawl
keeps the old cursor; posts already stored are kept either way, and refetching them next
time is harmless because storing is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import queue as queue_module
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from cohesion.config import ConfigError, Settings, SourceSettings
from cohesion.crawlers.spiders.base import (
    CrawlContext,
    CrawlCounts,
    get_spider_class,
)

logger = logging.getLogger(__name__)

# How often a child reports progress to the parent, at most.
PROGRESS_INTERVAL_S = 0.5


@dataclass
class SourceSummary:
    """How one source's crawl went: what `cohesion crawl` prints per source."""

    name: str
    platform: str
    status: str  # ok, failed, skipped
    pages: int = 0
    items: int = 0
    new: int = 0
    duplicate: int = 0
    not_local: int = 0
    errors: int = 0
    message: str = ""
    seconds: float = 0.0
    cursor_saved: bool = False


@dataclass
class CrawlJob:
    """One source to crawl with the settings it comes from (tests vary the settings)."""

    settings: Settings
    source: str
    scrapy_overrides: dict[str, Any] = field(default_factory=dict)


ProgressCallback = Callable[[str, CrawlCounts], None]


def crawl_sources(
    settings: Settings,
    names: list[str] | None = None,
    progress: ProgressCallback | None = None,
    scrapy_overrides: dict[str, Any] | None = None,
) -> list[SourceSummary]:
    """Crawl the enabled sources (or the named ones), each in its own process.

    A named source that is disabled in the config is skipped with a message; with no
    names, disabled sources are left out. Unknown names are a ConfigError.
    """
    if names:
        chosen = [settings.source(name) for name in dict.fromkeys(names)]
    else:
        chosen = [source for source in settings.sources if source.enabled]
    jobs = [CrawlJob(settings, source.name, dict(scrapy_overrides or {})) for source in chosen]
    return crawl_jobs(jobs, progress)


def crawl_jobs(
    jobs: list[CrawlJob], progress: ProgressCallback | None = None, *, one_process: bool = False
) -> list[SourceSummary]:
    """Preflight every job, then run the runnable ones in child processes.

    one_process=True runs all runnable jobs one after another in a single child (one
    reactor): used by tests and benchmarks to avoid a process start per crawl.
    """
    summaries: dict[int, SourceSummary] = {}
    runnable: list[tuple[int, CrawlJob]] = []
    for index, job in enumerate(jobs):
        skip = preflight(job)
        if skip is not None:
            summaries[index] = skip
        else:
            runnable.append((index, job))
    batches = [runnable] if one_process else [[entry] for entry in runnable]
    for batch in batches:
        if not batch:
            continue
        results = _run_in_child([job for _, job in batch], progress)
        for (index, _), summary in zip(batch, results, strict=True):
            summaries[index] = summary
    return [summaries[index] for index in range(len(jobs))]


def preflight(job: CrawlJob) -> SourceSummary | None:
    """A summary when the job cannot run (disabled, bad spider/options, credentials)."""
    source = job.settings.source(job.source)
    if not source.enabled:
        return record_skip(job, source, "skipped", "disabled in the config (enabled = false)")
    try:
        spider_class = get_spider_class(source.platform)
        missing = spider_class.missing_credentials(source)
    except (ConfigError, ImportError, AttributeError) as exc:
        return record_skip(job, source, "failed", str(exc))
    if missing:
        variables = " and ".join(missing)
        return record_skip(
            job,
            source,
            "skipped",
            f"missing credentials: set the environment variable {variables}"
            if len(missing) == 1
            else f"missing credentials: set {variables}",
        )
    return None


def record_skip(job: CrawlJob, source: SourceSettings, status: str, message: str) -> SourceSummary:
    """A crawl that never reached Scrapy: its skipped or failed crawl_runs row."""
    from cohesion.runtime import sync_sources
    from cohesion.store.engine import make_engine, make_session_factory, session_scope
    from cohesion.store.runs import CrawlCounts as StoreCounts
    from cohesion.store.runs import (
        finish_crawl_run,
        get_source,
        record_skipped_crawl,
        start_crawl_run,
    )

    engine = make_engine(job.settings.database.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            sync_sources(session, job.settings)
            row = get_source(session, source.name)
            assert row is not None
            if status == "skipped":
                record_skipped_crawl(session, row.id, message)
            else:
                run = start_crawl_run(session, row.id)
                finish_crawl_run(session, run.id, "failed", StoreCounts(errors=1), message)
    finally:
        engine.dispose()
    return SourceSummary(
        source.name, source.platform, status, errors=int(status == "failed"), message=message
    )


def _run_in_child(jobs: list[CrawlJob], progress: ProgressCallback | None) -> list[SourceSummary]:
    context = multiprocessing.get_context("spawn")
    messages: Any = context.Queue()
    child = context.Process(target=child_main, args=(jobs, messages), daemon=False)
    child.start()
    done: dict[str, SourceSummary] = {}
    while True:
        try:
            kind, name, payload = messages.get(timeout=0.2)
        except queue_module.Empty:
            if not child.is_alive():
                break
            continue
        if kind == "progress" and progress:
            progress(name, CrawlCounts(**payload))
        elif kind == "done":
            done[name] = SourceSummary(**payload)
    child.join()
    results = []
    for job in jobs:
        source = job.settings.source(job.source)
        summary = done.get(source.name) or SourceSummary(
            source.name,
            source.platform,
            "failed",
            errors=1,
            message=f"the crawler process ended without a result (exit code {child.exitcode})",
        )
        results.append(summary)
    return results


def child_main(jobs: list[CrawlJob], messages: Any) -> None:
    """Entry point of a crawl process: run the jobs one after another in one reactor."""
    from cohesion.crawlers.settings import scrapy_settings
    from scrapy.crawler import AsyncCrawlerProcess

    first = jobs[0]
    # Installs the asyncio reactor; import the reactor only after this line.
    process = AsyncCrawlerProcess(scrapy_settings(first.settings, first.scrapy_overrides))
    from twisted.internet import reactor

    async def drive() -> None:
        try:
            for job in jobs:
                summary = await _crawl_one(process, job, messages)
                messages.put(("done", summary.name, asdict(summary)))
        finally:
            reactor.callLater(0, reactor.stop)  # type: ignore[attr-defined,arg-type,misc]

    asyncio.get_event_loop().create_task(drive())
    process.start(stop_after_crawl=False, install_signal_handlers=True)


async def _crawl_one(process: Any, job: CrawlJob, messages: Any) -> SourceSummary:
    """One source's crawl in this child's reactor. The crawl_runs row and the cursor are
    the lifecycle extension's (crawlers/lifecycle.py); this reports the outcome."""
    from cohesion.crawlers.lifecycle import fail_or_finish, open_context, summary_message
    from cohesion.crawlers.settings import scrapy_settings
    from cohesion.runtime import Runtime
    from scrapy.crawler import Crawler

    source = job.settings.source(job.source)
    started = time.monotonic()
    runtime = None
    context = None
    try:
        runtime = Runtime.from_settings(job.settings)
        last = [0.0]

        def report(counts: CrawlCounts) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL_S:
                last[0] = now
                payload = {k: v for k, v in asdict(counts).items() if k != "messages"}
                messages.put(("progress", source.name, payload))

        context = open_context(
            job.settings,
            source.name,
            runtime.sessions,
            runtime.pseudonymiser(),
            runner=f"local:{os.getpid()}",
            progress=report,
        )
        crawler = Crawler(
            get_spider_class(source.platform), scrapy_settings(job.settings, job.scrapy_overrides)
        )
        await process.crawl(crawler, context=context)
    except Exception as exc:  # reported per source; the other sources still run
        logger.error("crawl of %s failed:\n%s", source.name, traceback.format_exc())
        counts = context.counts if context else CrawlCounts()
        counts.errors += 1
        counts.messages.append(f"{type(exc).__name__}: {exc}")
        if context is not None and context.run_id is not None and context.status is None:
            fail_or_finish(context)  # opened, but the spider never closed
        elif context is None or context.run_id is None:
            record_skip(job, source, "failed", summary_message(counts))
        context = context or CrawlContext(source=source, counts=counts)
    finally:
        if runtime is not None:
            runtime.close()
    counts = context.counts
    return SourceSummary(
        source.name,
        source.platform,
        "failed" if counts.errors else "ok",
        pages=counts.pages,
        items=counts.items,
        new=counts.new,
        duplicate=counts.duplicate,
        not_local=counts.not_local,
        errors=counts.errors,
        message=summary_message(counts),
        seconds=round(time.monotonic() - started, 2),
        cursor_saved=context.cursor_saved,
    )
