"""Making hostile post text and links safe for Markdown, Slack and href attributes."""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()!|~])")
# Block markup that only counts at the start of a line: headings, lists, quotes.
_MD_BLOCK_START = re.compile(r"^(#|[+-](?=\s|$))")
_MD_ORDERED_START = re.compile(r"^(\d+)\.")


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for an href, or None (javascript:, data: and the like)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    return quote(url.strip(), safe=":/?#@!$&'*+,;=%~")


def md_text(value: object) -> str:
    """Text safe inside Markdown (and a table cell): no HTML, no markup, one line."""
    text = " ".join(str(value).split())
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_BLOCK_START.sub(r"\\\1", text)
    return _MD_ORDERED_START.sub(r"\1\\.", text)


def slack_text(value: object, limit: int | None = None) -> str:
    """Text safe inside Slack mrkdwn: control characters escaped, one line, shortened."""
    text = " ".join(str(value).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    # Slack's mrkdwn reserves exactly these three characters, as HTML does.
    return html.escape(text, quote=False)
