"""RSS and Atom recordings (also the feeds recorded under reddit/ and discourse/)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import feedparser

from tests.crawlers.conformance import Expected, Plan


def plan(meta: dict[str, Any], body: bytes) -> Plan:
    return Plan("rss", {"feeds": [meta["serve_path"]]})


def expected(meta: dict[str, Any], body: bytes) -> list[Expected]:
    parsed = feedparser.parse(body)
    site = urlsplit(parsed.feed.get("link") or "").netloc
    found = []
    for entry in parsed.entries:
        guid = (entry.get("id") or "").strip()
        # A bare guid (no scheme) is unique only within its site: the spider prefixes it.
        external_id = (guid if ":" in guid else f"{site}:{guid}") if guid else entry.get("link")
        text = entry.get("content") or entry.get("summary") or entry.get("title")
        found.append(Expected(external_id, bool(text), bool(entry.get("author"))))
    return found
