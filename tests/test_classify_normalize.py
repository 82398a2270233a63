"""Normalisation: obfuscation undone, placeholders, and offsets back into the original."""

from __future__ import annotations

import re

import pytest
from cohesion.classify.normalize import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I will K1LL the m4yor", "i will kill the mayor"),
        ("k i l l them, k.i.l.l them", "kill them, kill them"),
        ("Ｋｉｌｌ ｔｈｅｍ", "kill them"),
        ("he\u200bllo w\u00f6rld", "hello world"),
        ("j3ws", "jews"),
        ("Sooooo gooood", "soo good"),
        ("@bob_1 see https://x.com/a?b=1", "xxuser see  xxurl "),
        ("#StopTheSteal now", "stop the steal now"),
        ("fire 🔥🔥", "fire 🔥🔥"),
        ("", ""),
    ],
)
def test_normalised_text(text: str, expected: str) -> None:
    assert normalize(text).text == expected


def test_numbers_survive_for_doxxing_rules() -> None:
    # Digits at a token's edge are not leetspeak: addresses and phones stay intact.
    assert (
        normalize("412 5th Street, call 555-0142 in 2024").text
        == "412 5th street, call 555-0142 in 2024"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Someone should sh00t @Mayor_Q at https://t.co/x #BurnItDown k i l l",
        "Ｋｉｌｌ the ḿayor\u200b now!!! 🔥 İstanbul",
        "plain ascii text with nothing to change",
        "\x00\x01binary\x02junk\xff\ufffd",
    ],
)
def test_every_token_maps_back_into_the_original(text: str) -> None:
    norm = normalize(text)
    for match in re.finditer(r"\S+", norm.text):
        start, end = norm.to_original(*match.span())
        assert 0 <= start <= end <= len(text)
        assert text[start:end].strip(), (match.group(), start, end)


def test_offsets_point_at_the_obfuscated_word() -> None:
    text = "well, Someone should sh00t the m4yor today"
    norm = normalize(text)
    start = norm.text.index("shoot")
    assert norm.to_original(start, start + 5) == (text.index("sh00t"), text.index("sh00t") + 5)
    start = norm.text.index("today")
    assert text[slice(*norm.to_original(start, start + 5))] == "today"


def test_large_text_is_fast_and_safe() -> None:
    text = ("k1ll @user https://x.y #TagHere Ｗｉｄｅ " * 30_000)[:1_000_000]
    norm = normalize(text)
    assert norm.to_original(len(norm.text) - 1, len(norm.text))[1] <= len(text)
