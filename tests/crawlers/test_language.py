"""Batch language detection and batch place matching give the one-at-a-time answers.

crawlers/language.py walks py3langid's automaton over many texts at once; the
gazetteer matches a batch of texts with one scan per place. Both must agree with the
per-text functions the crawlers use, so an imported post is stored as a crawled one.
"""

from __future__ import annotations

import itertools
import json
import random
from types import SimpleNamespace

import cohesion.crawlers.language as language
import pytest
from cohesion.crawlers.language import detect_language, detect_languages
from cohesion.crawlers.pipelines import Gazetteer

from tests.conftest import shared_path

MULTILINGUAL = [
    "Bonjour tout le monde, comment allez-vous aujourd'hui? Le conseil a voté.",
    "Der Gemeinderat hat heute über den Haushalt der Stadt abgestimmt.",
    "Hoy el consejo municipal votó el presupuesto de la ciudad de nuevo.",
    "ЭТО ПРОСТО ТЕСТ ДЛЯ ПРОВЕРКИ ЯЗЫКА И ЕЩЁ НЕМНОГО СЛОВ",  # all capitals: lowered
    "短い日本語のテキストですがこれで十分でしょうか。本当にそうですか。",
    "De gemeenteraad heeft vandaag over de begroting gestemd, zegt de burgemeester.",
    "lol",  # too few letters: None
    "",
    "12345 !!! ??? 678",
    "e\u0301te\u0301 de\u0301ja\u0300 vu, the council met on a Tuesday in Ashford again",  # NFC
    "tab\tand\nnewlines\r\nin an English text about the county budget and roads",
    "NUL \x00 and a lone surrogate \ud800 in a post about the school board meeting",
]


def corpus() -> list[str]:
    texts = list(MULTILINGUAL)
    for name in ("gab_hate2022.jsonl", "covid_vaccine_conspiracy2022.jsonl"):
        with shared_path("data", name).open(encoding="utf-8") as handle:
            for line in itertools.islice(handle, 1500):
                texts.append(json.loads(line)["text"])
    random.Random(7).shuffle(texts)
    return texts


def test_batch_detection_equals_py3langid_per_text() -> None:
    texts = corpus()
    assert detect_languages(texts) == [detect_language(text) for text in texts]
    assert {"fr", "de", "es", "ru", "ja", "nl", None} <= set(detect_languages(MULTILINGUAL))


def test_long_texts_and_odd_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language, "LONG_TEXT_BYTES", 60)  # some texts take py3langid's loop
    monkeypatch.setattr(language, "BUCKET", 3)  # buckets of mixed lengths, a short last one
    texts = MULTILINGUAL * 3
    assert detect_languages(texts) == [detect_language(text) for text in texts]
    assert detect_languages([]) == []


def place(name: str, *aliases: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, aliases=list(aliases))


def test_gazetteer_batch_equals_per_text() -> None:
    gazetteer = Gazetteer(
        [place("Ashford", "Ashford Town"), place("New York", "NYC"), place("York"), place("Kent")]
    )
    texts = [
        "Ashford",
        "meeting in ashford town hall",
        "New York and York are two places",
        "Yorkshire is not York; nyc is",
        "Kent\n",
        "",
        "nothing here",
        "ends with Kent",
        "Ashfordshire, Kentucky",
        "\x00Kent\x00",
    ] * 3
    assert gazetteer.match_many(texts) == [gazetteer.match(text) for text in texts]
    assert gazetteer.match_many(texts)[2] == ["New York", "York"]
    assert Gazetteer([]).match_many(texts) == [[] for _ in texts]
