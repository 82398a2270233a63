"""Long posts: the whole text is read in overlapping windows, with a bounded cost."""

from __future__ import annotations

import pytest
from cohesion import classify
from cohesion.classify.model import MAX_CHARS, WINDOW_CHARS, WINDOW_OVERLAP, windows

THREAT = "Someone should hang Mayor Quenby from a tree outside city hall."
PADDING = "The county fair had a nice pie contest and the weather held up. "


def test_short_text_is_one_window() -> None:
    assert windows("see you at the meeting") == [(0, "see you at the meeting")]


def test_windows_cover_the_text_and_overlap() -> None:
    text = "".join(chr(97 + i % 26) for i in range(3 * WINDOW_CHARS + 17))
    pieces = windows(text)
    assert pieces[0][0] == 0
    assert pieces[-1][0] + len(pieces[-1][1]) == len(text)  # the end is read
    for (start, piece), (next_start, _) in zip(pieces, pieces[1:], strict=False):
        assert text[start : start + len(piece)] == piece
        assert start + len(piece) - next_start == WINDOW_OVERLAP


def test_cost_is_bounded() -> None:
    text = "x" * (3 * MAX_CHARS)
    pieces = windows(text)
    assert pieces[-1][0] + len(pieces[-1][1]) == MAX_CHARS
    assert len(pieces) <= MAX_CHARS // (WINDOW_CHARS - WINDOW_OVERLAP) + 1


@pytest.fixture(scope="module")
def model() -> classify.Model:
    return classify.load_model()


def test_threat_after_25000_characters_is_flagged(model: classify.Model) -> None:
    padding = PADDING * (25_000 // len(PADDING) + 1)
    text = padding + THREAT + " " + PADDING * 3
    assert len(padding) > 25_000
    short, long = model.predict([THREAT, text])
    assert "threat" in short.flags
    assert "threat" in long.flags
    assert long.scores["threat"] >= model.thresholds["threat"]
    # Evidence points into the whole text, at the threat, not at the padding.
    threat = [e for e in long.evidence if e.label == "threat"]
    assert threat and all(len(padding) <= e.start < e.end <= len(padding) + len(THREAT)
                          for e in threat)  # fmt: skip
    assert all(text[e.start : e.end].lower() in THREAT.lower() for e in threat)


def test_padding_alone_is_not_flagged(model: classify.Model) -> None:
    [pred] = model.predict([PADDING * 600])
    assert pred.flags == []
