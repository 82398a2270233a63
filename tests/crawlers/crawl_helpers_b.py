"""Helpers for the fourchan, rss and discourse crawl tests (on top of helpers.py).

Their fixtures are written for Marlow County with the cities Bexley, Fenwick, Harlan
Springs, Ostrander and Quill Lake. A crawl runs the real thing: `crawl_jobs` in a
child process, Scrapy, the pipelines and the store, against a loopback `MockServer`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cohesion.config import Place, Settings
from cohesion.crawlers.run import CrawlJob, SourceSummary, crawl_jobs

from tests.crawlers.helpers import FAST, FIXTURES, make_settings

MARLOW_PLACES = [
    Place(name="Marlow County", aliases=["Marlow Co."], kind="county"),
    *(
        Place(name=city)
        for city in ("Bexley", "Fenwick", "Harlan Springs", "Ostrander", "Quill Lake")
    ),
]
# helpers.FAST also lowers 4chan's one-request-per-second floor on the loopback server.
OVERRIDES = {**FAST, "RETRY_TIMES": 0}


def marlow_settings(tmp_path: Path, source: dict[str, Any]) -> Settings:
    settings = make_settings(tmp_path, [source])
    settings.locality.places = MARLOW_PLACES
    return settings


def crawl(settings: Settings, **overrides: Any) -> SourceSummary:
    """Crawl the settings' only source once; returns its summary."""
    job = CrawlJob(settings, settings.sources[0].name, {**OVERRIDES, **overrides})
    (summary,) = crawl_jobs([job], one_process=True)
    return summary


def fixture_text(platform: str, name: str) -> str:
    return (FIXTURES / platform / name).read_text(encoding="utf-8")
