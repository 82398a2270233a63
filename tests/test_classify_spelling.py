"""Spelling variants of lexicon words (classify/spelling.py): masked, split, doubled and
shortened words restored, ordinary words left alone, offsets still pointing into the
original text."""

from __future__ import annotations

import pytest
from cohesion.classify.normalize import normalize
from cohesion.classify.rules import default_lexicons
from cohesion.classify.spelling import SpellingFixer


@pytest.fixture(scope="module")
def fixer() -> SpellingFixer:
    return SpellingFixer(default_lexicons())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("too many n****rs here", "too many niggers here"),
        ("i will m****r the clerk", "i will murder the clerk"),
        ("get the ki kes out", "get the kikes out"),
        ("someone should sh oot him", "someone should shoot him"),
        ("they are parasittes", "they are parasites"),
        ("i will staab him", "i will stab him"),
        ("niggrs go home", "niggers go home"),
    ],
)
def test_variants_become_the_lexicon_word(fixer: SpellingFixer, text: str, expected: str) -> None:
    assert fixer(normalize(text)).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "be at the meeting at noon",  # two function words never join
        "what a s**t show",  # fits a profanity and a violent word: ambiguous, kept
        "the good shoot was a killer",
        "in jun 2020 we go ok",
        "laughter and chins up",
        "refuges on the coast",
    ],
)
def test_ordinary_text_is_left_alone(fixer: SpellingFixer, text: str) -> None:
    assert fixer(normalize(text)).text == normalize(text).text


def test_spans_still_map_to_the_original(fixer: SpellingFixer) -> None:
    text = "@bob_1 I will mur der the #CountyClerk, see https://x.com ok"
    norm = fixer(normalize(text))
    assert norm.text == "xxuser i will murder the county clerk, see  xxurl  ok"
    start = norm.text.index("murder")
    assert text[slice(*norm.to_original(start, start + len("murder")))] == "mur der"
    start = norm.text.index("county")
    assert text[slice(*norm.to_original(start, start + len("county clerk")))] == "#CountyClerk"
    start = norm.text.index("ok")
    assert text[slice(*norm.to_original(start, start + 2))] == "ok"
