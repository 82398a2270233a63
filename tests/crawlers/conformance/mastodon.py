"""Mastodon recordings: timelines, account statuses, a status and thread contexts."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cohesion.crawlers.text import html_to_text

from tests.crawlers.conformance import Expected, Plan


def plan(meta: dict[str, Any], body: bytes) -> Plan:
    parts = urlsplit(meta["serve_path"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    segments = parts.path.strip("/").split("/")  # api v1 ...
    limit = int(query.get("limit", 40))
    if segments[2:4] == ["timelines", "tag"]:
        return Plan("mastodon", {"hashtags": [segments[4]], "limit": limit})
    if segments[2:4] == ["timelines", "public"]:
        timeline = "local" if query.get("local", "").lower() == "true" else "public"
        return Plan("mastodon", {"timelines": [timeline], "limit": limit})
    if segments[2] == "accounts":
        # Page 2 is reached from page 1 through its Link header.
        return Plan("mastodon", {"accounts": [segments[3]], "limit": limit}, max_pages=2)
    return Plan("mastodon", {"statuses": [segments[3]]})


def expected(meta: dict[str, Any], body: bytes) -> list[Expected]:
    data = json.loads(body)
    if isinstance(data, dict) and "descendants" in data:
        statuses = [*data["ancestors"], *data["descendants"]]
    elif isinstance(data, dict):
        statuses = [data]
    else:
        statuses = data
    found = []
    for status in statuses:
        original = status.get("reblog") or status
        text = html_to_text(original.get("content")) or (original.get("poll") or {}).get("options")
        found.append(Expected(original["uri"], bool(text), bool(original.get("account"))))
    return found
