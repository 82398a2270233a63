"""Text normalisation that keeps a map back to the original string.

The models and rules read the *normalised* text; evidence spans must point into the
*original* text. `normalize()` makes one left-to-right pass with a single regular
expression and records every edited region, so `Normalized.to_original()` can map any
span back with a binary search.

What it does (in this order of precedence at each position):
- URLs become the placeholder ``xxurl``; @mentions become ``xxuser``; e-mail addresses
  are kept (a doxxing detail);
- hashtags are split into words (``#StopTheSteal`` -> ``stop the steal``);
- zero-width and control characters are dropped;
- spaced-out letters are joined (``k i l l``, ``k.i.l.l`` -> ``kill``);
- leetspeak inside a word is undone (``k1ll``, ``j3ws`` -> ``kill``, ``jews``);
  digits at the edge of a token are left alone so ``5th``, ``2020`` and phone numbers
  survive for the doxxing rules;
- every non-ASCII character goes through NFKC, loses combining accents and common
  Cyrillic/Greek look-alikes are mapped to Latin letters; emoji are kept;
- runs of three or more identical letters shrink to two (``kiiiill`` -> ``kiill``);
- everything is lower-cased.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

URL_TOKEN = "xxurl"
USER_TOKEN = "xxuser"

_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
    }
)

# Letters that look Latin in other scripts (a short list of frequent confusables).
_CONFUSABLES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ѕ": "s", "ј": "j", "к": "k", "м": "m", "т": "t", "н": "h", "в": "b",
    "α": "a", "ε": "e", "ο": "o", "ι": "i", "κ": "k", "ν": "v", "τ": "t", "υ": "u", "ρ": "p",
}  # fmt: skip

_ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad"

_PATTERN = re.compile(
    r"(?P<url>(?:https?://|www\.)\S+)"
    r"|(?P<email>[\w.+-]+@[\w-]+\.[A-Za-z]{2,})"
    r"|(?P<mention>(?<![\w@])@\w{1,40})"
    r"|(?P<hashtag>(?<![\w#&])#(?P<tag>\w{1,80}))"
    r"|(?P<drop>[" + _ZERO_WIDTH + r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f])"
    r"|(?P<spaced>(?<![\w'])[A-Za-z](?P<sep>[ .\-_*])(?:[A-Za-z](?P=sep)){1,}[A-Za-z](?![\w']))"
    r"|(?P<leet>(?<![\w@#$])[A-Za-z]+(?:[013457@$!|]+[A-Za-z]+)+[$5]?(?![\w]))"
    r"|(?P<repeat>(?P<rch>[A-Za-z])(?P=rch){2,})"
    r"|(?P<char>[^\x00-\x7f])"
)
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+")


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """NFKC, lower case, drop combining marks, map look-alikes; keep emoji and symbols."""
    if char in _ZERO_WIDTH:
        return ""
    out = []
    for part in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", char)):
        if unicodedata.combining(part):
            continue
        part = part.lower()
        out.append(_CONFUSABLES.get(part, part))
    folded = unicodedata.normalize("NFC", "".join(out))
    if folded.isspace():
        return " "
    return folded


def fold(text: str) -> str:
    """Fold non-ASCII characters only (for lexicon entries and hashtag words)."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) if not c.isascii() else c.lower() for c in text)


def _split_hashtag(tag: str) -> str:
    words = _CAMEL.findall(tag)
    return " ".join(fold(w) for w in words) if words else fold(tag)


@dataclass(slots=True)
class Normalized:
    """Normalised text plus the edits needed to map spans back to the original."""

    text: str
    original: str
    # Parallel lists: for edit i, normalised [n_start, n_end) came from original [o_start, o_end).
    n_starts: list[int]
    n_ends: list[int]
    o_starts: list[int]
    o_ends: list[int]

    def _start(self, pos: int) -> int:
        i = bisect_right(self.n_starts, pos) - 1
        if i < 0:
            return pos
        if pos < self.n_ends[i]:
            return self.o_starts[i]
        return self.o_ends[i] + (pos - self.n_ends[i])

    def _end(self, pos: int) -> int:
        i = bisect_left(self.n_starts, pos) - 1
        if i < 0:
            return pos
        if pos <= self.n_ends[i]:
            return self.o_ends[i]
        return self.o_ends[i] + (pos - self.n_ends[i])

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text to a span of the original text."""
        limit = len(self.original)
        o_start = min(self._start(start), limit)
        o_end = min(self._end(end), limit)
        return o_start, max(o_start, o_end)


def normalize(text: str) -> Normalized:
    """Normalise `text` for the rules and models; see the module docstring."""
    pieces: list[str] = []
    n_starts: list[int] = []
    n_ends: list[int] = []
    o_starts: list[int] = []
    o_ends: list[int] = []
    length = 0
    last = 0
    for match in _PATTERN.finditer(text):
        kind = match.lastgroup
        start, end = match.span()
        if kind == "url":
            repl = f" {URL_TOKEN} "
        elif kind == "email":
            repl = match.group().lower()
        elif kind == "mention":
            repl = USER_TOKEN
        elif kind == "hashtag":
            repl = _split_hashtag(match.group("tag"))
        elif kind == "drop":
            repl = "" if match.group() in _ZERO_WIDTH else " "
        elif kind == "spaced":
            repl = match.group()[::2].lower()
        elif kind == "leet":
            repl = match.group().translate(_LEET).lower()
        elif kind == "char":
            repl = _fold_char(match.group())
        else:  # repeat (also catches the lettered group used by the backreference)
            repl = match.group()[:2].lower()
        if start > last:
            chunk = text[last:start].lower()
            pieces.append(chunk)
            length += len(chunk)
        if repl == match.group():
            pieces.append(repl)
            length += len(repl)
        else:
            n_starts.append(length)
            pieces.append(repl)
            length += len(repl)
            n_ends.append(length)
            o_starts.append(start)
            o_ends.append(end)
        last = end
    if last < len(text):
        pieces.append(text[last:].lower())
    return Normalized("".join(pieces), text, n_starts, n_ends, o_starts, o_ends)
