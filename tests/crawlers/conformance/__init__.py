"""Per-platform conformance plans for tests/crawlers/test_conformance.py.

One module per recordings folder under ../shared/fixtures/platforms (the folder
`4chan` maps to module `fourchan`). Each module defines:

    def plan(meta: dict, body: bytes) -> Plan
        how to make the platform's spider request the recording's serve_path:
        the spider (platform name), its source options, a cursor to seed, max_pages,
        and any extra routes (a login endpoint) or environment variables it needs;
    def expected(meta: dict, body: bytes) -> list[Expected]
        every post in the body, read straight from the body (never via spider code);
        a body with no posts (a topic list) names what must be followed in Plan.follows.

A recordings folder without a module fails its tests (it never skips).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Plan:
    platform: str
    options: dict[str, Any]
    max_pages: int = 1
    cursor: dict[str, Any] = field(default_factory=dict)
    # (path with query, reply, method) served next to the recordings of the host.
    extra_routes: list[tuple[str, Any, str]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    # Where to serve a body that was recorded without a serve_path (a page fragment).
    serve_path: str | None = None
    # Paths (no query) the spider must request because the body links to them: a topic
    # list holds no posts, only the topics to read.
    follows: list[str] = field(default_factory=list)


@dataclass
class Expected:
    external_id: str
    has_text: bool = True
    has_author: bool = True
