"""The demo's config file: Marlow County, its gazetteer and watchlist, seven sources.

Every source points at the loopback demo server (`base_urls`), throttling is off
(the server is local and ours), and the platform credentials the spiders require are
set to demo values in the demo process only (`demo_credentials`), so that a real
credential in the user's environment is never sent anywhere by the demo.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from cohesion.demo.corpus import SOURCE_NAMES, TELEGRAM_CHANNEL
from cohesion.demo.render.fourchan import BOARD
from cohesion.demo.render.mastodon import HASHTAG
from cohesion.demo.render.reddit import SUBREDDIT
from cohesion.demo.vocab import CITIES, LOCALITY, PLACES, TIMEZONE, WATCHLIST

CONFIG_NAME = "cohesion.toml"
BLUESKY_SEARCHES = ["Marlow", *CITIES, "Route 9"]
# Environment the spiders read credentials from; demo values, never real ones.
DEMO_CREDENTIALS = {
    "COHESION_REDDIT_CLIENT_ID": "demo-client",
    "COHESION_REDDIT_CLIENT_SECRET": "demo-secret",
    "COHESION_BLUESKY_HANDLE": "demo-analyst.bsky.social",
    "COHESION_BLUESKY_APP_PASSWORD": "demo-app-password",
}
# Scrapy settings for crawling our own loopback server: no politeness floor is needed,
# and only errors are logged (the per-source summary reports the rest).
SCRAPY_OVERRIDES = {"FOURCHAN_MIN_DELAY": 0.0, "LOG_LEVEL": "ERROR"}


def source_tables(base_urls: dict[str, str]) -> list[dict[str, Any]]:
    """The [[sources]] of the demo, one per platform served."""
    options: dict[str, dict[str, Any]] = {
        "reddit": {"subreddits": [SUBREDDIT], "comments": True},
        "mastodon": {"hashtags": [HASHTAG], "limit": 40},
        "bluesky": {"search": BLUESKY_SEARCHES},
        "telegram": {"channels": [TELEGRAM_CHANNEL]},
        "fourchan": {"board": BOARD, "listing": "threads"},
        "rss": {"feeds": ["/feed.xml"], "follow_comments": True},
        "discourse": {"site_url": "https://forum.quilllake.example"},
    }
    return [
        {
            "name": SOURCE_NAMES[platform],
            "platform": platform,
            "base_url": url,
            "max_pages": 100,
            **options[platform],
        }
        for platform, url in base_urls.items()
    ]


def demo_settings(
    base_urls: dict[str, str], events: list[tuple[date, str, str]] | None = None
) -> dict[str, Any]:
    """The demo config; `events` are the corpus's local calendar (DemoCorpus.events)."""
    return {
        "database": {"url": "sqlite:///cohesion.db"},
        "locality": {"name": LOCALITY, "timezone": TIMEZONE, "places": list(PLACES)},
        "crawl": {
            "contact": "demo@cohesion.example",
            "download_delay": 0.0,
            "autothrottle": False,
            "concurrent_requests_per_domain": 8,
            "timeout": 20.0,
            "retries": 1,
        },
        "privacy": {"key_file": "cohesion.key", "keep_raw_handles": False},
        # The demo's review app: the report's sample links each post's page there.
        "review": {"secret_file": "review.secret", "public_url": "http://127.0.0.1:8080"},
        "report": {"out_dir": "reports"},
        "watchlist": list(WATCHLIST),
        "sources": source_tables(base_urls),
        "events": [
            {"date": day.isoformat(), "title": title, "kind": kind}
            for day, title, kind in events or []
        ],
    }


def write_config(path: Path, data: dict[str, Any]) -> Path:
    """Write `data` as TOML (tables, arrays of tables, and plain values only)."""
    lines = [
        "# Cohesion demo settings, written by `cohesion demo`: the fictional Marlow County.",
        "# Sources point at the demo's loopback server, which stops when the demo ends;",
        "# run `cohesion demo` again to serve and crawl them anew.",
    ]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]", *(_pair(k, v) for k, v in value.items())]
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            for table in value:
                lines += ["", f"[[{key}]]", *(_pair(k, v) for k, v in table.items())]
        else:
            lines.append(_pair(key, value))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _pair(key: str, value: Any) -> str:
    return f"{key} = {_value(value)}"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
