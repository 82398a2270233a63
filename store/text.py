"""Making hostile text safe to store without losing what it says."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def sanitize_text(value: str) -> str:
    """Drop NUL bytes (PostgreSQL refuses them) and replace lone surrogates.

    Lone surrogates cannot be encoded as UTF-8, so they become U+FFFD; every other
    character, including emoji and right-to-left text, is kept as it is.
    """
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = _LONE_SURROGATE.sub("\ufffd", value)
    return value


def content_hash(value: str) -> str:
    """SHA-256 of the NFKC-folded, whitespace-collapsed, lower-cased text (finds copies)."""
    folded = " ".join(unicodedata.normalize("NFKC", value).casefold().split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()
