"""The search language of `cohesion search` and the review app, and its two SQL forms.

One syntax for both backends, parsed here and written out as SQLite FTS5's MATCH
language or PostgreSQL's tsquery, so that a query means the same on either:

    county clerk            both words (AND is implied; `AND` may be written)
    "county clerk"          the phrase
    elect*                  a word starting with "elect"
    clerk OR recorder       either word
    clerk -recorder         "clerk" but not "recorder" (also: NOT recorder)
    (clerk OR recorder) vote

Words are matched after stemming ("voting" finds "vote") and case folding. Only letters
and digits reach the database: every word is quoted in the output, so hostile input
cannot smuggle FTS5 or tsquery operators, and a query that is not valid in this syntax
(an unclosed quote or parenthesis, an operator with nothing to act on, a query that only
excludes) raises `SearchSyntaxError` with a message saying what to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_TERMS = 32

_WORD = re.compile(r"\w+")
_TOKEN = re.compile(
    r'\s*(?:(?P<paren>[()])|(?P<phrase>"[^"]*"?)|(?P<neg>-)(?=[\w("])|(?P<word>[^\s()"]+))'
)


class SearchSyntaxError(ValueError):
    """A query that is not valid search syntax; the message says what to change."""


@dataclass(frozen=True, slots=True)
class Term:
    word: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Node


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Node, ...]


Node = Term | Phrase | Not | And | Or


def parse_query(text: str) -> Node:
    """The query's tree; SearchSyntaxError when it is empty, too long or malformed."""
    if len(text) > MAX_QUERY_CHARS:
        raise SearchSyntaxError(
            f"the query is {len(text)} characters long; keep it under {MAX_QUERY_CHARS}"
        )
    parser = _Parser(_tokens(text))
    if not parser.tokens:
        raise SearchSyntaxError("the query is empty: give at least one word to look for")
    node = parser.or_expr()
    if parser.position < len(parser.tokens):
        kind, value = parser.tokens[parser.position]
        raise SearchSyntaxError(
            f"unexpected {value!r}: a closing parenthesis without an opening one"
        )
    if _count_terms(node) > MAX_TERMS:
        raise SearchSyntaxError(f"the query has more than {MAX_TERMS} words; narrow it down")
    _check_positive(node)
    return node


def words_of(node: Node) -> list[tuple[str, bool]]:
    """The (word, is_prefix) pairs the query looks for, not those it excludes."""
    if isinstance(node, Term):
        return [(node.word, node.prefix)]
    if isinstance(node, Phrase):
        return [(word, False) for word in node.words]
    if isinstance(node, Not):
        return []
    return [pair for part in node.parts for pair in words_of(part)]


# --- writing it out ---------------------------------------------------------------------


def to_fts5(node: Node) -> str:
    """SQLite FTS5 MATCH text. FTS5's NOT is binary (`a NOT b`), so the excluded parts
    of a conjunction go after the wanted ones."""
    if isinstance(node, Term):
        return f'"{node.word}"' + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return '"' + " ".join(node.words) + '"'
    if isinstance(node, Or):
        return "(" + " OR ".join(to_fts5(part) for part in node.parts) + ")"
    if isinstance(node, And):
        wanted = [to_fts5(p) for p in node.parts if not isinstance(p, Not)]
        unwanted = [to_fts5(p.part) for p in node.parts if isinstance(p, Not)]
        text = "(" + " AND ".join(wanted) + ")"
        for part in unwanted:
            text = f"({text} NOT {part})"
        return text
    raise SearchSyntaxError("a query cannot only exclude words")  # a bare Not: checked before


def to_tsquery(node: Node) -> str:
    """PostgreSQL to_tsquery text (its `english` configuration stems each word)."""
    if isinstance(node, Term):
        return f"'{node.word}'" + (":*" if node.prefix else "")
    if isinstance(node, Phrase):
        return "(" + " <-> ".join(f"'{word}'" for word in node.words) + ")"
    if isinstance(node, Not):
        return "!" + to_tsquery(node.part)
    joiner = " & " if isinstance(node, And) else " | "
    return "(" + joiner.join(to_tsquery(part) for part in node.parts) + ")"


# --- the parser -------------------------------------------------------------------------


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is None:
            continue
        value = match.group(kind)
        if kind == "phrase" and (len(value) < 2 or not value.endswith('"')):
            raise SearchSyntaxError('a quotation mark is not closed: end the phrase with "')
        tokens.append((kind, value))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while (token := self.peek()) is not None and token == ("word", "OR"):
            self.take()
            if self.peek() is None or self.peek() == ("paren", ")"):
                raise SearchSyntaxError("OR needs a word on both sides")
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node:
        parts: list[Node] = []
        consumed = False
        while (token := self.peek()) is not None and token not in (("paren", ")"), ("word", "OR")):
            consumed = True
            if token == ("word", "AND"):
                self.take()
                if not parts or self.peek() in (None, ("paren", ")"), ("word", "OR")):
                    raise SearchSyntaxError("AND needs a word on both sides")
                continue
            node = self.unary()
            if node is not None:
                parts.append(node)
        if not parts and consumed:
            raise SearchSyntaxError("the query has no letters or digits to look for")
        if not parts:
            raise SearchSyntaxError("an operator or parenthesis has nothing to act on")
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Node | None:
        kind, value = self.peek() or ("", "")
        if kind == "neg" or (kind, value) == ("word", "NOT"):
            self.take()
            if self.peek() in (None, ("paren", ")"), ("word", "OR"), ("word", "AND")):
                raise SearchSyntaxError("NOT (or -) needs a word after it")
            part = self.unary()
            if isinstance(part, Not):
                return part.part  # two negations cancel
            return None if part is None else Not(part)
        return self.atom()

    def atom(self) -> Node | None:
        kind, value = self.take()
        if kind == "paren":
            if value == ")":
                raise SearchSyntaxError(
                    "unexpected ')': a closing parenthesis without an opening one"
                )
            inner = self.or_expr()
            if self.peek() != ("paren", ")"):
                raise SearchSyntaxError("a parenthesis is not closed: add ')'")
            self.take()
            return inner
        if kind == "phrase":
            words = tuple(w.lower() for w in _WORD.findall(value))
            if not words:
                return None
            return Term(words[0]) if len(words) == 1 else Phrase(words)
        prefix = value.endswith("*")
        words = tuple(w.lower() for w in _WORD.findall(value))
        if not words:
            return None  # punctuation on its own looks for nothing
        if len(words) == 1:
            return Term(words[0], prefix)
        return Phrase(words)  # "e-mail", "don't": the words in sequence


def _count_terms(node: Node) -> int:
    if isinstance(node, Term):
        return 1
    if isinstance(node, Phrase):
        return len(node.words)
    if isinstance(node, Not):
        return _count_terms(node.part)
    return sum(_count_terms(part) for part in node.parts)


def _check_positive(node: Node) -> None:
    """Every match needs something to look for: no query, OR branch or group that only
    excludes (FTS5 cannot run one, and it would return nearly every post)."""
    if isinstance(node, Not):
        raise SearchSyntaxError("the query only excludes words: add at least one word to look for")
    if isinstance(node, Or):
        for part in node.parts:
            _check_positive(part)
    if isinstance(node, And):
        if all(isinstance(part, Not) for part in node.parts):
            raise SearchSyntaxError(
                "the query only excludes words: add at least one word to look for"
            )
        for part in node.parts:
            if not isinstance(part, Not):
                _check_positive(part)
