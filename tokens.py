"""Words of a post for counting and comparing: handles, links and stopwords dropped.

Shared by the report's rising terms (reports/terms.py) and the storylines and
coordinated-posting detection (patterns/), so no account name ever becomes a "term"
or a storyline's label.
"""

from __future__ import annotations

import re

_STRIP = re.compile(
    r"https?://\S+|www\.\S+"  # links
    r"|\S+@\S+\.\S+"  # e-mail addresses
    r"|@[\w.]+(?:@[\w.-]+)?"  # @handle, @handle@server
    r"|(?<![\w/])/?u/[\w-]+",  # reddit u/handle
    re.IGNORECASE,
)
_HANDLE = re.compile(r"@[\w.]+(?:@[\w.-]+)?\b|(?<![\w/])/?u/[\w-]+", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z']*[a-z]")
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't
    do does doesn't doing don't down during each even every few for from further get gets
    got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
    herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its
    itself just know let's like make many may me might more most much must mustn't my
    myself need never new no nor not now of off on once one only or other ought our ours
    ourselves out over own people really right same say says see shan't she she'd she'll
    she's should shouldn't since so some still such take than that that's the their theirs
    them themselves then there there's these they they'd they'll they're they've think
    this those though through time to too under until up upon us very want was wasn't way
    we we'd we'll we're we've well were weren't what what's when when's where where's
    whether which while who who's whom why why's will with won't would wouldn't yes yet
    you you'd you'll you're you've your yours yourself yourselves going gonna got amp
    """.split()
)


def mask_handles(text: str) -> str:
    """Replace @handles and u/handles in a text by a placeholder (for showing posts)."""
    return _HANDLE.sub("@[user]", text)


def _blank_links(text: str) -> str:
    """The lower-cased text with links, e-mail addresses and handles blanked (_STRIP).

    The expression is only run when the text holds something it can match (a link
    needs "http" or "www.", an address or handle "@", a reddit handle "u/"): most
    posts hold none, and the search costs most of the time of reading words."""
    if "@" in text or "u/" in text or "http" in text or "www." in text:
        return _STRIP.sub(" ", text)
    return text


def tokenise(text: str) -> list[str]:
    cleaned = _blank_links(text.lower())
    words = (w.removesuffix("'s").strip("'") for w in _WORD.findall(cleaned))
    return [w for w in words if len(w) >= 3 and w not in STOPWORDS]


_ANY_WORD = re.compile(r"\w+(?:'\w+)*")


def plain_words(text: str) -> list[str]:
    """Every word of a text, lower-cased, stopwords kept; links and handles dropped.

    For comparing whole texts (copy-paste detection): "the", "of" and word order are
    part of what makes two posts copies of each other.
    """
    return _ANY_WORD.findall(_blank_links(text.casefold()))
