"""Scrapy settings for Cohesion's crawls: politeness lives here, not in spider code.

The module-level names are the project's fixed Scrapy settings (read them as the
crawl policy); `scrapy_settings()` adds what comes from Cohesion's config file
([crawl] section: contact, delay, AutoThrottle, timeout, retries) and any overrides a
test or benchmark passes (for example turning throttling off on a loopback server).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from cohesion.config import Settings

BOT_NAME = "CohesionMonitor"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Politeness: obey robots.txt, say who we are, adapt to the site's response times.
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False

# Retries: 429 and 5xx and network errors, with exponential backoff; a Retry-After
# header wins over the backoff (capped, so one bad header cannot stall a crawl).
RETRY_ENABLED = True
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 2.0  # seconds; retry n waits base * 2**(n-1)
RETRY_BACKOFF_MAX = 120.0
RETRY_AFTER_MAX = 600.0

# Security: verify TLS certificates (Scrapy's default does not); no telnet console and
# no remote-control HTTP server (both would let a local user drive the crawler).
DOWNLOAD_VERIFY_CERTIFICATES = True
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    # Opens and closes the crawl_runs row and saves the cursor, for local crawls and
    # Scrapyd jobs alike.
    "cohesion.crawlers.lifecycle.CrawlRunLifecycle": 100,
}

DOWNLOADER_MIDDLEWARES = {
    # Our retry replaces Scrapy's at the same position.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "cohesion.crawlers.middlewares.BackoffRetryMiddleware": 550,
}
ITEM_PIPELINES = {
    "cohesion.crawlers.pipelines.CleanTextPipeline": 100,
    "cohesion.crawlers.pipelines.LanguagePipeline": 200,
    "cohesion.crawlers.pipelines.LocalityPipeline": 300,
    "cohesion.crawlers.pipelines.PseudonymPipeline": 400,
    "cohesion.crawlers.pipelines.StorePipeline": 900,
}
# Items are written through store/ in batches of this many (and at close), so a crash
# loses at most one batch and a failure keeps what was stored before it.
COHESION_STORE_BATCH = 200

# Responses are decoded by the spiders; keep memory bounded on huge listings.
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
# The per-source summary reports progress; the log carries warnings and errors.
LOG_LEVEL = "WARNING"
# Dropped items (posts naming no place) are counted; never log their text.
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"
SPIDER_MODULES: list[str] = []
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

_FIXED = {name: value for name, value in dict(globals()).items() if name.isupper()}


def package_version() -> str:
    try:
        return version("cohesion-monitor")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0+unknown"


def user_agent(settings: Settings) -> str:
    """An honest User-Agent: the tool, its version and how to reach its operator."""
    if settings.crawl.user_agent:
        return settings.crawl.user_agent
    contact = settings.crawl.contact.strip()
    suffix = f" (+{contact})" if contact else ""
    return f"{BOT_NAME}/{package_version()}{suffix}"


def scrapy_settings(settings: Settings, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Scrapy settings for one crawl: fixed policy + config + overrides."""
    crawl = settings.crawl
    result: dict[str, Any] = {
        key: (dict(value) if isinstance(value, dict) else value) for key, value in _FIXED.items()
    }
    result.update(
        USER_AGENT=user_agent(settings),
        DOWNLOAD_DELAY=crawl.download_delay,
        AUTOTHROTTLE_ENABLED=crawl.autothrottle,
        CONCURRENT_REQUESTS_PER_DOMAIN=crawl.concurrent_requests_per_domain,
        DOWNLOAD_TIMEOUT=crawl.timeout,
        RETRY_TIMES=crawl.retries,
    )
    result.update(overrides or {})
    return result
