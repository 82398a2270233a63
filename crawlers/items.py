"""The contract between spiders and the item pipelines: one `PostItem` per post.

A spider fills in what the platform says, as the platform says it: `html` when the
body is markup (the pipelines turn it into clean text), `text` when it is plain
already, the raw `author_handle` (pseudonymised by a pipeline and never stored raw
unless the config says so) and a time-zone-aware `created_at`. The pipelines add
`language` and `places` and hand a `store.posts.PostRecord` to the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class PostItem:
    """One public post, comment or reply as a spider found it."""

    platform: str
    external_id: str
    created_at: datetime
    url: str | None = None
    text: str | None = None
    html: str | None = None
    title: str | None = None
    author_handle: str | None = None
    # The account this post replies to, where the platform says so (raw, like
    # author_handle; a pipeline keeps only a watchlist entry it names, never the handle).
    reply_to_handle: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    engagement: dict[str, Any] = field(default_factory=dict)
    language: str | None = None
    places: list[str] = field(default_factory=list)
    # Set by the pipelines, not by spiders.
    author_pseudonym: str | None = None
    # The watchlist entry whose own account this post replies to (see reply_to_handle).
    addressed_watchlist: str | None = None
