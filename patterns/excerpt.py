"""A post's text as shown beside a storyline or a burst: handles masked, one line, short."""

from __future__ import annotations

from cohesion.tokens import mask_handles

TEXT_LIMIT = 280


def excerpt(text: str, limit: int = TEXT_LIMIT) -> str:
    """Handles replaced by @[user], whitespace collapsed, cut to `limit` characters.

    Still hostile text: every renderer escapes it (reports/escape.py, Jinja2 autoescape).
    """
    text = " ".join(mask_handles(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
