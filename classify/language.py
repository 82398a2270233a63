"""Offline language identification (py3langid) and the non-English rule.

Rule (documented in the model card): a text is *confidently non-English* when
py3langid's top language is not English with probability >= 0.90, English gets
< 0.05, and the text has at least 3 words of letters. Such texts get no flags (the
models were trained on English only); their scores are still reported. Shorter or
mixed texts are treated as English: slang and hashtags fool language identifiers.
Shortcut: an ASCII text of 4+ words, at least 30% of them English function words,
is English without running the identifier.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

MIN_CONFIDENCE = 0.90
MAX_ENGLISH = 0.05
MIN_WORDS = 3
_WORD = re.compile(r"[^\W\d_]{2,}")
# Frequent English function words: a post made mostly of them is English without asking
# the language identifier (which is the slowest step per post).
_ENGLISH = frozenset(
    "the a an and or but of to in on at for with is are was were be been it this that "
    "i you he she we they my our your his her their me us them not no do does did have "
    "has had will would should can could just so if about from by as what who when".split()
)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str | None, bool]:
    """(language code or None when undetermined, confidently_non_english)."""
    sample = text[:2000]
    if len(_WORD.findall(sample)) < 1:
        return None, False
    words = [w.lower() for w in _WORD.findall(sample[:1000])]
    if sample.isascii() and len(words) >= 4:
        share = sum(w in _ENGLISH for w in words) / len(words)
        if share >= 0.3:
            return "en", False
    ranked = _identifier().rank(sample)
    top, prob = ranked[0]
    english = next((p for lang, p in ranked if lang == "en"), 0.0)
    language = top if prob >= 0.5 else ("en" if english >= 0.2 else None)
    non_english = (
        top != "en"
        and prob >= MIN_CONFIDENCE
        and english < MAX_ENGLISH
        and len(_WORD.findall(sample)) >= MIN_WORDS
    )
    return language, non_english
