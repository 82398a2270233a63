"""HTML to clean text, for every spider whose platform sends markup.

Why not `lxml`'s `text_content()`: it glues paragraphs together and keeps the text of
quotes that belong to other posts. Here line breaks survive (`<br>` -> newline,
paragraphs -> blank line), markup whitespace collapses the way a browser shows it,
entities are unescaped, and the caller names the elements to drop: quoted replies
(`aside.quote` on Discourse, telegram reply blocks, mastodon `.quote-inline`, 4chan
`>>123` quote links) so that a post's text is only what its author wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

# Never text: scripts, styles and the like.
ALWAYS_DROP = ("script", "style", "template", "noscript", "head")
BLOCK_TAGS = frozenset(
    "address article aside blockquote dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol section table tr ul".split()
)
PARAGRAPH_TAGS = frozenset({"p", "pre"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")

_selector_cache: dict[str, CSSSelector] = {}


def _selector(css: str) -> CSSSelector:
    if css not in _selector_cache:
        _selector_cache[css] = CSSSelector(css)
    return _selector_cache[css]


def html_to_text(markup: str | None, drop: Iterable[str] = ()) -> str:
    """The visible text of an HTML fragment, with line breaks kept.

    `drop` holds CSS selectors of elements removed first, with their text (quoted
    replies, quote links). The tail text after a dropped element is kept.
    """
    if not markup or not markup.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return normalise_text(markup)
    for css in (*ALWAYS_DROP, *drop):
        for element in _selector(css)(root):
            _remove_keep_tail(element)
    parts: list[str] = []
    _walk(root, parts)
    return normalise_text("".join(parts))


def normalise_text(text: str) -> str:
    """Collapse spaces within lines, trim lines, keep at most one blank line in a row."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def _remove_keep_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def _walk(element: etree._Element, parts: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "br":
        parts.append("\n")
    elif tag in PARAGRAPH_TAGS:
        parts.append("\n\n")
    elif tag in BLOCK_TAGS:
        parts.append("\n")
    if tag and tag != "br" and element.text:
        # Markup newlines are spaces to a browser, except inside <pre>.
        parts.append(element.text if tag == "pre" else element.text.replace("\n", " "))
    for child in element:
        _walk(child, parts)
        if child.tail:
            parts.append(child.tail.replace("\n", " "))
    if tag in PARAGRAPH_TAGS:
        parts.append("\n\n")
    elif tag in BLOCK_TAGS:
        parts.append("\n")
