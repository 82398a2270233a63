"""Spelling variants of lexicon words, mapped back to the word (after `normalize`).

`normalize` undoes leetspeak and spaced-out letters without knowing any word. Three
more ways of hiding a slur or a violent verb need the lexicons to undo safely, so they
run here, on the normalised text, and only ever produce a lexicon word:

- masked letters: ``n****rs``, ``m****r`` (letters kept in place, ``*`` for the rest)
  become the one lexicon word of that length whose letters agree; when words of
  different kinds fit (``s**t``: a profanity or a violent word) nothing changes;
- a stray space: ``ki kes``, ``mur der`` become one word when the two pieces (two letters
  or more each, the first after a space) together are a lexicon word and neither piece
  is a common function word (so ``be at`` stays);
- doubled letters: ``parasittes``, ``staab`` become the lexicon word with the same
  letters once a doubled letter is undone; dropped letters only for slurs of seven
  letters or more (``niggrs``), where a deletion cannot make an ordinary word.

The result is a `Normalized` whose spans still map to the original text. A model
trained before this step existed (config ``features.spelling`` false) skips it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cohesion.classify.normalize import Normalized
from spacy.lang.en.stop_words import STOP_WORDS

# Lexicon categories whose single words are worth restoring, in order of preference.
_CUE_KINDS = ("threat_violent", "dehuman", "profanity")
_MASKED = re.compile(r"(?<![\w*])[a-z][a-z*]*\*[a-z*]*(?![\w*])")
_PAIR = re.compile(r"(?<!\S)(?=([a-z]{2,6}) ([a-z]{2,7})(?![\w']))")
_DOUBLE = re.compile(r"(?<![\w'])[a-z]*([a-z])\1[a-z]*(?![\w'])")
_WORD = re.compile(r"(?<![\w'])[a-z]{6,}(?![\w'])")
_RUN = re.compile(r"([a-z])\1+")
MIN_DROPPED = 7


def _squeeze(word: str) -> str:
    return _RUN.sub(r"\1", word)


def vocabulary(lexicons: Mapping[str, Any]) -> dict[str, str]:
    """Single lexicon words -> their kind ("slur", "identity", or a cue category)."""
    kinds: dict[str, str] = {}

    def add(words: Any, kind: str) -> None:
        for word in words:
            word = str(word).lower()
            if word.isalpha() and word.isascii() and len(word) >= 3:
                kinds.setdefault(word, kind)

    for group, words in lexicons["slurs.json"].items():
        if not group.startswith("_"):
            add(words, "slur")
    cues = lexicons["cues.json"]
    for kind in _CUE_KINDS:
        add(cues.get(kind, []), kind)
    for group, words in lexicons["identity.json"].items():
        if not group.startswith("_"):
            add(words, "identity")
    return kinds


class SpellingFixer:
    """Rewrites masked, split, doubled and (for long slurs) shortened lexicon words."""

    def __init__(self, lexicons: Mapping[str, Any]) -> None:
        self.kinds = vocabulary(lexicons)
        self.by_length: dict[int, list[str]] = {}
        for word in self.kinds:
            self.by_length.setdefault(len(word), []).append(word)
        self.squeezed: dict[str, str] = {}
        for word in self.kinds:
            self.squeezed.setdefault(_squeeze(word), word)
        self.dropped: dict[str, str] = {}
        for word, kind in self.kinds.items():
            if kind == "slur" and len(word) >= MIN_DROPPED:
                for i in range(len(word)):
                    variant = word[:i] + word[i + 1 :]
                    if variant not in self.kinds:
                        self.dropped.setdefault(variant, word)

    def _unmask(self, token: str) -> str | None:
        fits = [w for w in self.by_length.get(len(token), ())
                if all(c == "*" or c == w[i] for i, c in enumerate(token))]  # fmt: skip
        if not fits or len({self.kinds[w] for w in fits}) > 1:
            return None
        return sorted(fits)[0]

    def _edits(self, text: str) -> list[tuple[int, int, str]]:
        edits: list[tuple[int, int, str]] = []
        if "*" in text:
            for m in _MASKED.finditer(text):
                word = self._unmask(m.group())
                if word:
                    edits.append((m.start(), m.end(), word))
        for m in _PAIR.finditer(text):
            left, right = m.group(1), m.group(2)
            joined = left + right
            if (joined in self.kinds and left not in self.kinds and right not in self.kinds
                    and left not in STOP_WORDS and right not in STOP_WORDS):  # fmt: skip
                edits.append((m.start(1), m.end(2), joined))
        for m in _DOUBLE.finditer(text):
            token = m.group()
            if token in self.kinds:
                continue
            word = self.squeezed.get(_squeeze(token))
            if word and len(token) > len(word):
                edits.append((m.start(), m.end(), word))
        if self.dropped:
            for m in _WORD.finditer(text):
                word = self.dropped.get(m.group())
                if word:
                    edits.append((m.start(), m.end(), word))
        # Keep the first of any overlapping edits (left to right).
        edits.sort()
        kept: list[tuple[int, int, str]] = []
        for edit in edits:
            if not kept or edit[0] >= kept[-1][1]:
                kept.append(edit)
        return kept

    def __call__(self, norm: Normalized) -> Normalized:
        edits = self._edits(norm.text)
        if not edits:
            return norm
        return _apply(norm, edits)


def _apply(norm: Normalized, edits: list[tuple[int, int, str]]) -> Normalized:
    """A new `Normalized` with `edits` (spans of norm.text) applied; the edit lists are
    composed so every span still maps to the original text."""
    pieces: list[str] = []
    n_starts: list[int] = []
    n_ends: list[int] = []
    o_starts: list[int] = []
    o_ends: list[int] = []
    first = list(zip(norm.n_starts, norm.n_ends, norm.o_starts, norm.o_ends, strict=True))
    shift = 0  # length of the new text minus the old one, before the current position
    last = 0
    j = 0
    for start, end, word in edits:
        # Earlier edits of normalize() that lie before this one keep their original span.
        while j < len(first) and first[j][1] <= start:
            a, b, oa, ob = first[j]
            n_starts.append(a + shift)
            n_ends.append(b + shift)
            o_starts.append(oa)
            o_ends.append(ob)
            j += 1
        # Those overlapping this edit are absorbed by it.
        while j < len(first) and first[j][0] < end:
            j += 1
        pieces.append(norm.text[last:start])
        o_start, o_end = norm.to_original(start, end)
        n_starts.append(start + shift)
        n_ends.append(start + shift + len(word))
        o_starts.append(o_start)
        o_ends.append(o_end)
        pieces.append(word)
        shift += len(word) - (end - start)
        last = end
    for a, b, oa, ob in first[j:]:
        n_starts.append(a + shift)
        n_ends.append(b + shift)
        o_starts.append(oa)
        o_ends.append(ob)
    pieces.append(norm.text[last:])
    return Normalized("".join(pieces), norm.original, n_starts, n_ends, o_starts, o_ends)
