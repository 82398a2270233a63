"""The crawl job: what `cohesion crawl` and the scheduler's nightly run both call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cohesion.runtime import Runtime, sync_sources
from cohesion.store.engine import session_scope


class CrawlFailedError(RuntimeError):
    """One or more sources failed; the others' posts are stored all the same."""

    def __init__(self, summaries: list[Any]) -> None:
        self.summaries = summaries
        failed = [s for s in summaries if s.status == "failed"]
        super().__init__(
            "; ".join(f"{s.name} failed: {s.message or 'see crawl_runs'}" for s in failed)
        )


def crawl_all(
    runtime: Runtime,
    names: list[str] | None = None,
    progress: Callable[[str, Any], None] | None = None,
    *,
    nodes: Sequence[str] | None = None,
    job_state: Callable[[str, str], None] | None = None,
) -> list[Any]:
    """Crawl the enabled (or named) sources: locally, each in its own process, or as
    Scrapyd jobs on crawl nodes.

    `nodes` names the Scrapyd nodes; None means those of `[scale] scrapyd` in the
    config, an empty list means "crawl here". `progress` sees a local crawl's counts,
    `job_state` a Scrapyd job's state. Returns the per-source summaries
    (crawlers.run.SourceSummary); raises CrawlFailedError after the whole run when any
    source failed, so a scheduled job is recorded as failed and says which.
    """
    from cohesion.crawlers.run import crawl_sources

    with session_scope(runtime.sessions) as session:
        sync_sources(session, runtime.settings)
    scale = runtime.settings.scale
    node_urls = list(scale.scrapyd) if nodes is None else list(nodes)
    if node_urls:  # crawl nodes: each source a Scrapyd job (crawlers/scrapyd.py)
        from cohesion.crawlers.scrapyd import crawl_via_scrapyd

        summaries = crawl_via_scrapyd(
            runtime.settings, node_urls, names, progress=job_state,
            poll_interval=scale.poll_seconds, timeout=scale.crawl_timeout_minutes * 60.0,
        )  # fmt: skip
    else:
        summaries = crawl_sources(runtime.settings, names, progress=progress)
    if any(s.status == "failed" for s in summaries):
        raise CrawlFailedError(summaries)
    return summaries
