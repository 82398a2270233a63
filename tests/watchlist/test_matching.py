"""Watchlist matching rules (docs/watchlist.md): no flood of false hits from common words."""

from __future__ import annotations

import pytest
import spacy
from cohesion.classify.watchlist import WatchlistMatcher

ENTRIES = [
    # A mayor whose first name is an ordinary word.
    {"name": "Joy Harlan", "kind": "person", "aliases": ["Joy", "Harlan"]},
    {"name": "Sam Okafor", "kind": "person", "aliases": ["Okafor", "Director Okafor"]},
    {
        "name": "Marlow County Election Office",
        "kind": "institution",
        "aliases": ["election office", "MCEO"],
    },
    {"name": "County Clerk", "kind": "role", "aliases": ["clerk's office"]},
    # No aliases: the name alone.
    {"name": "City Hall", "kind": "institution"},
]


@pytest.fixture(scope="module")
def matcher() -> WatchlistMatcher:
    return WatchlistMatcher(spacy.blank("en"), ENTRIES)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("joy harlan is a traitor", ["Joy Harlan"]),
        ("Mayor Joy's office leaks again", ["Joy Harlan"]),
        ("Mayor Harlan should watch her back", ["Joy Harlan"]),
        ("mayor harlan should watch her back", []),
        ("Director Okafor rigged it", ["Sam Okafor"]),
        ("okafor's house is on Birch St", []),
        ("Dr. Okafor and Supt. Harlan", ["Joy Harlan", "Sam Okafor"]),
        ("THE ELECTION OFFICE IS A DISGRACE", ["Marlow County Election Office"]),
        ("MCEO stole it", ["Marlow County Election Office"]),
        ("burn city hall's doors down", ["City Hall"]),
        ("the county clerk's office hours", ["County Clerk"]),
    ],
)
def test_names_found(matcher: WatchlistMatcher, text: str, names: list[str]) -> None:
    assert matcher.names(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "Joy to the world, the parade was lovely",
        "I felt joy when the library reopened",
        "pure JOY at the farmers market",
        "Harlan Springs got a new bakery",
        "mceo is not a word",
        "the office of elections in another state",
    ],
)
def test_common_words_do_not_flood(matcher: WatchlistMatcher, text: str) -> None:
    assert matcher.names(text) == []


def test_offsets_point_into_the_original_text(matcher: WatchlistMatcher) -> None:
    text = "Honestly, Mayor Joy should resign."
    (hit,) = matcher.find(text)
    assert text[hit.start : hit.end] == "Mayor Joy"
    assert hit.kind == "person"


def test_empty_watchlist_matches_nothing() -> None:
    empty = WatchlistMatcher(spacy.blank("en"), [])
    assert not empty and empty.find("City Hall") == []


def test_model_names_watchlist_entries_and_aims_threats_at_their_kind() -> None:
    from cohesion import classify

    model = classify.load_model(None, watchlist=ENTRIES)
    texts = [
        "Someone should burn down the election office before the canvass. I mean it.",
        "Director Okafor lives at 1412 Birch Lane, his daughter goes to Fenwick Elementary. Go visit.",
        "Okafor lives at 1412 Birch Lane, his daughter goes to Fenwick Elementary. Go visit.",
        "Joy to the world! Great parade downtown today.",
    ]
    threat, dox, dox_untitled, calm = model.predict(texts)
    assert threat.watchlist == ["Marlow County Election Office"]
    assert threat.flags == ["anti_government", "threat"]
    assert threat.threat_targets == ["institution"]
    assert any(
        e.reason == "names watchlist institution Marlow County Election Office"
        for e in threat.evidence
    )
    assert "doxxing" in dox.flags and dox.watchlist == ["Sam Okafor"]
    hit = next(e for e in dox.evidence if e.reason.startswith("names watchlist"))
    assert texts[1][hit.start : hit.end] == "Director Okafor"
    # A one-word alias without a title is not a hit, even in a doxxing post.
    assert "doxxing" in dox_untitled.flags and dox_untitled.watchlist == []
    assert calm.watchlist == [] and calm.flags == []
